"""efootprint.builders.services.video_streaming, as the seeds import it."""
from efp_tables.efootprint._classes import VideoStreaming, VideoStreamingJob  # noqa: F401
