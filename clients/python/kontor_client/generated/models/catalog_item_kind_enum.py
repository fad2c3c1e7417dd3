from enum import StrEnum


class CatalogItemKindEnum(StrEnum):
    CONTAINER = "container"
    HELM_CHART = "helm_chart"
    NIM = "nim"

    def __str__(self) -> str:
        return str(self.value)
