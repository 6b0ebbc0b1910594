"""KV-cache capacity ``M`` in tokens from an accelerator, a GPU count and a model.

``M = (memory per GPU x GPUs x utilisation - weight bytes) / KV bytes per token``: vLLM's
``gpu_memory_utilization`` (0.9 by default) caps what it may use, the weights come first, the
rest holds the cache. Activations and CUDA graphs take a little more in practice, so this is an
upper end; a measured ``M`` (vLLM logs "# GPU blocks" x block size) is better where known.
"""

from __future__ import annotations

from dataclasses import dataclass

from ala.errors import AlaError
from ala.specs import Catalogue


@dataclass(frozen=True, slots=True)
class KvCapacity:
    """The capacity and the numbers it came from."""

    tokens: int
    accelerator: str
    gpus: int
    model: str
    precision: str
    memory_gb: float
    weights_gb: float
    kv_bytes_per_token: float
    utilisation: float

    def describe(self) -> str:
        """One line: how ``M`` was obtained."""
        return (
            f"M = {self.tokens:,} tokens: {self.gpus} x {self.accelerator} "
            f"({self.memory_gb:g} GB each) x {self.utilisation:g}, less {self.weights_gb:.1f} GB "
            f"of {self.model} weights ({self.precision}), at "
            f"{self.kv_bytes_per_token / 1024:.0f} KiB of KV cache per token"
        )


def kv_capacity(
    catalogue: Catalogue,
    accelerator: str,
    gpus: int,
    model: str,
    precision: str | None = None,
    utilisation: float = 0.9,
) -> KvCapacity:
    """KV-cache tokens that fit beside the weights (see the module notes).

    Raises
    ------
    AlaError
        If a spec is missing (:class:`ala.specs.SpecError`), the settings are out of range or
        the weights leave no room for a cache.
    """
    if gpus < 1:
        raise AlaError(f"the GPU count must be at least 1, got {gpus}")
    if not 0 < utilisation <= 1:
        raise AlaError(f"the memory utilisation must lie in (0, 1], got {utilisation}")
    acc = catalogue.accelerator(accelerator)
    llm = catalogue.model(model)
    chosen = precision or llm.default_precision
    memory = acc.need("memory_gb") * 1e9 * gpus * utilisation
    weights = llm.weight_bytes(chosen)
    per_token = llm.kv_bytes_per_token(chosen)
    tokens = int((memory - weights) // per_token)
    if tokens < 1:
        raise AlaError(
            f"{llm.name} ({chosen}) needs {weights / 1e9:.0f} GB for its weights, more than "
            f"{gpus} x {acc.name} offer at utilisation {utilisation:g} "
            f"({memory / 1e9:.0f} GB): use more GPUs or a narrower precision"
        )
    return KvCapacity(
        tokens,
        acc.name,
        gpus,
        llm.name,
        chosen,
        acc.need("memory_gb"),
        weights / 1e9,
        per_token,
        utilisation,
    )
