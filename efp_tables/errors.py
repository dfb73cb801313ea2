"""One error type for bad input: it always names the object, the attribute, the value and what was expected."""


class ModelError(ValueError):
    def __init__(self, obj: str, attribute: str, value, expected: str):
        self.obj, self.attribute, self.value, self.expected = obj, attribute, value, expected
        try:
            shown = repr(value)
        except (ValueError, RecursionError):  # an int of too many digits, a structure nested too deep
            shown = f"<{type(value).__name__} too large to show>"
        if len(shown) > 120:
            shown = shown[:117] + "..."
        super().__init__(f"{obj}: {attribute} = {shown}: expected {expected}")

    def __reduce__(self):
        # Rebuilt from its four parts, so that it crosses processes (a Dask worker's error reaches the driver).
        return type(self), (self.obj, self.attribute, self.value, self.expected)


class InsufficientCapacityError(ModelError):
    """A server or storage asked for more than it has (efootprint's InsufficientCapacityError)."""
