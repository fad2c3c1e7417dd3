from enum import StrEnum


class CatalogItemsListLicense(StrEnum):
    NGC_FREE = "ngc_free"
    NVAIE = "nvaie"

    def __str__(self) -> str:
        return str(self.value)
