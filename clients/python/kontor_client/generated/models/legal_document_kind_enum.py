from enum import StrEnum


class LegalDocumentKindEnum(StrEnum):
    DPA = "dpa"
    PRIVACY = "privacy"
    TERMS = "terms"

    def __str__(self) -> str:
        return str(self.value)
