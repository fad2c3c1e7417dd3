from enum import StrEnum


class VatCategoryEnum(StrEnum):
    AE = "AE"
    O = "O"
    S = "S"

    def __str__(self) -> str:
        return str(self.value)
