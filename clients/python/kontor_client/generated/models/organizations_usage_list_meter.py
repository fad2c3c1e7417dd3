from enum import StrEnum


class OrganizationsUsageListMeter(StrEnum):
    COMMITTED_GPU_SECONDS = "committed_gpu_seconds"
    GPU_SECONDS = "gpu_seconds"
    LICENSE_GPU_SECONDS = "license_gpu_seconds"

    def __str__(self) -> str:
        return str(self.value)
