from enum import StrEnum


class QuoteLineKindEnum(StrEnum):
    COMPUTE = "compute"
    LICENSE = "license"

    def __str__(self) -> str:
        return str(self.value)
