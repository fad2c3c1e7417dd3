from enum import StrEnum


class DeploymentEnum(StrEnum):
    BARE_METAL = "bare_metal"
    VM = "vm"

    def __str__(self) -> str:
        return str(self.value)
