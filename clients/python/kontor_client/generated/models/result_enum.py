from enum import StrEnum


class ResultEnum(StrEnum):
    INVALID = "invalid"
    UNAVAILABLE = "unavailable"
    VALID = "valid"

    def __str__(self) -> str:
        return str(self.value)
