from enum import StrEnum


class CatalogItemsListKind(StrEnum):
    CONTAINER = "container"
    HELM_CHART = "helm_chart"
    NIM = "nim"

    def __str__(self) -> str:
        return str(self.value)
