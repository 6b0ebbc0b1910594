"""The spec catalogue, the physics drawn from it, and the checks that use them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ala.data import load_benchmarks
from ala.datasets import bundled_path, sample_dataset_path
from ala.physics import Deployment, memory_check
from ala.specs import Catalogue, SpecError, parse_specs

# The accelerator and model spellings of every dataset the product is tried on: the bundled
# LLM-Inference-Bench and Splitwise files, AIConfigurator's silicon runs, InferenceX's vLLM
# runs, and the data-centre line-up a planner asks about.
ACCELERATORS = (
    "Nvidia GH200 GPU",
    "Nvidia A100 GPU",
    "Nvidia H100 GPU",
    "Intel Max 1550",
    "Intel PVC GPU",
    "Habana Gaudi2",
    "SambaNova SN40L",
    "AMD MI250 GPU",
    "AMD MI300X GPU",
    "a100-80gb",
    "h100-80gb",
    "h100-80gb-pcap",
    "gb200",
    "b200_sxm",
    "h200_sxm",
    "h100_sxm",
    *("A100", "H100", "H200", "H20", "L40S", "B200", "B300", "GB200", "GB300"),
    *("MI250", "MI300X", "MI325X", "MI355X", "Gaudi 2", "Gaudi 3"),
)
MODELS = (
    "mistralai/Mistral-7B-v0.1",
    "meta-llama/Meta-Llama-3-8B",
    "meta-llama/Llama-2-7b-hf",
    "meta-llama/Llama-2-70b-hf",
    "mistralai/Mixtral-8x7B-v0.1",
    "Qwen/Qwen2-7B",
    "meta-llama/Meta-Llama-3-70B",
    "Qwen/Qwen2-72B",
    "BAAI/Aquila-7B",
    "bigscience/bloom-7b1",
    "Deci/DeciLM-7B",
    "EleutherAI/gpt-j-6b",
    "huggyllama/llama-7b",
    "facebook/opt-6.7b",
    "Qwen/Qwen1.5-7B",
    "llama2-70b",
    "bloom-176b",
    "moonshotai/Kimi-K2.5",
    "MiniMaxAI/MiniMax-M2.5",
    "deepseek-ai/DeepSeek-V3",
    "Qwen/Qwen3.5-397B-A17B",
    "nvidia/DeepSeek-R1-NVFP4",
    "nvidia/DeepSeek-V3.1-NVFP4",
    "nvidia/Qwen3-32B-NVFP4",
    "deepseek-ai/DeepSeek-R1",
    "Qwen/Qwen3-32B",
    "Qwen/Qwen3-235B-A22B-FP8",
    "meta-llama/Llama-3.1-8B-Instruct",
    "openai/gpt-oss-120b",
    "nvidia/Llama-3.1-8B-Instruct-FP8",
    "zhipuai/GLM-5",
    "meta-llama/Llama-3.1-70B",
)


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.bundled()


def test_every_accelerator_and_model_of_our_datasets_is_in_the_catalogue(catalogue):
    """Each spelling finds an entry with a source; specs ship as package data with a licence."""
    for name in ACCELERATORS:
        entry = catalogue.accelerator(name)
        assert entry.source, name
    for name in MODELS:
        entry = catalogue.model(name)
        assert entry.source, name
        assert entry.total_params_b, name
    folder = bundled_path("specs")
    assert (folder / "SOURCE.md").exists()
    assert (folder / "LICENSE").exists()


def test_a_missing_spec_is_an_error_that_says_how_to_add_it(catalogue):
    """No silent number: an unknown name or a blank spec names the spec and --specs."""
    with pytest.raises(SpecError, match=r"no accelerator named 'TPU v9'.*--specs"):
        catalogue.accelerator("TPU v9")
    sn40l = catalogue.accelerator("SambaNova SN40L")
    with pytest.raises(SpecError, match=r"SN40L.*memory_bw_tbs \(TB/s\).*--specs"):
        Deployment.of({"acc": "SambaNova SN40L", "model": "Qwen/Qwen2-7B"}).terms()
    assert sn40l.memory_bw_tbs is None


@pytest.mark.parametrize(
    ("kind", "name", "meant", "not_meant"),
    [
        # a GH200 spelling is closer letter by letter; the H200's model number is exact
        ("accelerator", "Nvidia H200 NVL GPU", "NVIDIA H200 SXM 141GB", "GH200"),
        ("model", "meta-llama/Llama3-70B-Instruct", "meta-llama/Meta-Llama-3-70B", "3.1"),
        ("accelerator", "AMD MI300 GPU", "AMD Instinct MI300X", "MI325X"),
    ],
)
def test_an_unknown_name_suggests_the_entries_it_may_mean(catalogue, kind, name, meant, not_meant):
    """A name the catalogue does not spell gets the nearest entries in its message, those
    sharing its model numbers first, so a user fixes a query file without reading the list."""
    with pytest.raises(SpecError, match=r"did you mean") as raised:
        getattr(catalogue, kind)(name)
    suggestion = str(raised.value).split("did you mean", 1)[1]
    assert repr(meant) in suggestion.split(",")[0]
    assert not_meant not in suggestion


def test_a_specs_file_round_trips_and_overrides_the_bundled_entry(tmp_path, catalogue):
    """A user's CSV and TOML entries are read back exactly; a user row replaces ours."""
    csv = tmp_path / "mine.csv"
    catalogue.accelerators.head(3).assign(memory_gb=[1.0, 2.0, 3.0]).to_csv(csv, index=False)
    again = Catalogue.load([csv])
    assert again.accelerator("Nvidia A100 GPU").memory_gb == 1.0
    assert len(again.accelerators) == len(catalogue.accelerators)
    toml = tmp_path / "mine.toml"
    toml.write_text(
        '[[accelerator]]\nname = "Acme X1"\nspellings = ["x1", "acme-x1"]\nvendor = "Acme"\n'
        "memory_gb = 64\nmemory_bw_tbs = 2.0\nbf16_tflops = 500\n"
        '[[model]]\nname = "acme/tiny"\ntotal_params_b = 1.0\nlayers = 16\nkv_heads = 4\n'
        'head_dim = 64\ndefault_precision = "bf16"\n'
    )
    extended = Catalogue.load([toml])
    x1 = extended.accelerator("ACME_X1")
    assert (x1.memory_gb, x1.memory_bw_tbs, x1.bf16_tflops, x1.fp8_tflops) == (64, 2, 500, None)
    assert extended.model("tiny").kv_bytes_per_token() == 2 * 4 * 64 * 16 * 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name,memory_bw_tbs\nX,3.35 TB/s\n", r"entry 2, column memory_bw_tbs: '3.35 TB/s'"),
        ("name,memory_bw_tbs\nX,-1\n", r"must be a positive number of TB/s"),
        ("name,memory_bw_tbs\nX,3350\n", r"3350 TB/s is outside .*another unit"),
        ("name,memory_bw_tbs,colour\nX,3,red\n", r"unknown accelerator columns \['colour'\]"),
        ("name,layers,default_precision\nm,32,fp7\n", r"unknown precision 'fp7'"),
        ("name,size\nX,1\n", r"cannot tell accelerators from models"),
    ],
)
def test_a_bad_specs_file_names_the_entry_column_and_unit(text, message):
    """Bad units, negative numbers, unknown columns and precisions fail with a clear reason."""
    with pytest.raises(SpecError, match=message):
        parse_specs(text.encode(), "mine.csv")


def test_measurements_above_what_the_hardware_can_deliver_are_dropped_and_reported():
    """LLM-Inference-Bench's GH200 vLLM runs at length 2048 claim 86,000 tokens/s from a 7B
    model: more than reading the weights once per decode step allows. They are failed runs."""
    data = load_benchmarks(sample_dataset_path())
    reason = next(d for d in data.report.dropped if "hardware can deliver" in d.reason)
    assert len(reason.rows) == 23
    frame = data.frame
    gh200 = frame[(frame["acc"] == "Nvidia GH200 GPU") & (frame["back"] == "vLLM")]
    assert gh200.loc[gh200["bb"] == 1, "thpt"].max() < 1_000
    unchecked = load_benchmarks(sample_dataset_path(), check_limits=False)
    assert unchecked.report.rows_dropped == 0


def test_memory_check_marks_a_batch_whose_kv_cache_cannot_fit():
    """ii=3000, oo=300, bb=200 of Llama-2-7B needs ~346 GB of KV cache on one 80 GB H100."""
    queries = pd.DataFrame(
        {
            "acc": ["Nvidia H100 GPU", "Nvidia H100 GPU", "Unknown GPU"],
            "acc_count": ["1", "1", "1"],
            "model": ["meta-llama/Llama-2-7b-hf"] * 3,
            "ii": [3000.0, 3000.0, 3000.0],
            "oo": [300.0, 300.0, 300.0],
            "bb": [200.0, 8.0, 8.0],
        }
    )
    check = memory_check(queries)
    assert check["fits_memory"].tolist() == [False, True, None]
    assert check["memory_need_gb"].iloc[0] == pytest.approx(13.5 + 346.0, rel=0.01)
    assert "does not fit in memory" in check["memory_note"].iloc[0]
    assert "memory not checked" in check["memory_note"].iloc[2]
    deployment = Deployment.of({"acc": "H100", "model": "meta-llama/Llama-2-7b-hf"})
    largest = deployment.largest_batch(3000, 300)
    assert (
        deployment.memory_need_gb(3000, 300, largest)
        <= 80
        < float(deployment.memory_need_gb(3000, 300, largest + 1))
    )
    assert np.isfinite(deployment.terms()).all()
