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


def did_you_mean(word: str, choices) -> str:
    """'; did you mean 'X'?' for the closest of `choices`, or nothing."""
    import difflib
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def attribute_choices(attribute: str, numeric: list[str], structural: list[str]) -> str:
    """What a grid or change may set on an object: its numeric inputs and its structural ones (links, choices,
    lists of links), the empty kinds left out, and the closest name to `attribute`."""
    kinds = [f"a numeric input among {numeric}" if numeric else "",
             f"a structural {'one' if numeric else 'input'} among {structural}" if structural else ""]
    text = " or ".join(kind for kind in kinds if kind) or "nothing: the object has no input a grid can set"
    return text + did_you_mean(attribute, [*numeric, *structural])
