from enum import StrEnum


class CatalogItemsListUseCase(StrEnum):
    AI_DESIGN = "ai_design"
    DATA_SCIENCE = "data_science"
    DIGITAL_TWINS = "digital_twins"
    GENERATIVE_AI = "generative_ai"
    LIFE_SCIENCES = "life_sciences"
    ROBOTICS = "robotics"
    SPEECH = "speech"

    def __str__(self) -> str:
        return str(self.value)
