from enum import StrEnum


class RuleEnum(StrEnum):
    GPU_MEMORY = "gpu_memory"
    NVLINK = "nvlink"
    RAY_TRACING = "ray_tracing"
    WHOLE_NODE = "whole_node"

    def __str__(self) -> str:
        return str(self.value)
