"""efootprint.utils.object_relationships_graphs: the class lists the seeds pass to object_relationship_graph_to_file."""
USAGE_PATTERN_VIEW_CLASSES_TO_IGNORE = [
    "System", "Network", "Hardware", "Country", "Job", "Storage", "VideoStreaming", "GenAIModel", "WebApplication",
    "VideoStreamingJob", "GenAIJob", "WebApplicationJob"]
INFRA_VIEW_CLASSES_TO_IGNORE = [
    "UsagePattern", "Network", "Hardware", "System", "UsageJourney", "UsageJourneyStep", "Country"]
