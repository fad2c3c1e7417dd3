from enum import StrEnum


class LicenseEnum(StrEnum):
    NGC_FREE = "ngc_free"
    NVAIE = "nvaie"

    def __str__(self) -> str:
        return str(self.value)
