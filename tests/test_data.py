"""The loader recognises columns, reports every dropped row and raises only DataError."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ala.data import load_benchmarks, load_queries
from ala.errors import DataError


def csv_bytes(text: str, encoding: str = "utf-8") -> bytes:
    return text.encode(encoding)


def test_shared_dataset_maps_its_columns(shared_benchmarks):
    """LLM-Inference-Bench's spellings map to canonical names and ii = oo from one column."""
    report = shared_benchmarks.report
    assert report.column_map["ii"] == report.column_map["oo"] == "Input Output Length"
    assert report.column_map["thpt"] == "Throughput"
    assert shared_benchmarks.config_columns == ("acc", "acc_count", "back", "model")
    frame = shared_benchmarks.frame
    assert (frame["ii"] == frame["oo"]).all()
    assert report.rows_read == 4772
    # 23 rows exceed what the hardware can deliver (failed runs at the longest length);
    # 57 keys measured twice are averaged into one row each
    assert report.rows_dropped == 23
    assert report.repeats_merged == 114
    assert report.rows_kept == 4772 - 23 - 57
    assert frame["n_repeats"].max() == 2


def test_repeats_can_be_kept():
    """duplicates='keep' keeps repeated measurements as separate rows."""
    text = "ii,oo,bb,thpt\n1,1,1,10\n1,1,1,12\n"
    kept = load_benchmarks(csv_bytes(text), duplicates="keep")
    merged = load_benchmarks(csv_bytes(text))
    assert len(kept.frame) == 2
    assert len(merged.frame) == 1
    assert merged.frame["thpt"].iloc[0] == pytest.approx(11)


def test_bad_rows_are_dropped_and_reported_with_row_numbers():
    """Non-numeric, missing and non-positive values drop their rows and say which."""
    text = "ii,oo,bb,thpt\n128,128,1,100\n128,128,x,100\n128,,16,100\n128,128,32,-5\n128,128,64,0\n"
    loaded = load_benchmarks(csv_bytes(text))
    assert len(loaded.frame) == 1
    reasons = {(d.column, d.reason): d.rows for d in loaded.report.dropped}
    assert reasons[("bb", "non-numeric value")] == (3,)
    assert reasons[("oo", "missing value")] == (4,)
    assert reasons[("thpt", "zero or negative value")] == (5, 6)
    assert loaded.report.rows_dropped == 4
    assert "rows 5, 6" in loaded.report.summary()


def test_raise_mode_names_column_and_rows():
    text = "ii,oo,bb,thpt\n128,128,1,100\n128,128,abc,100\n"
    with pytest.raises(DataError, match=r"column 'bb': non-numeric value in rows 3"):
        load_benchmarks(csv_bytes(text), on_bad_rows="raise")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"ii,oo,bb,thpt\n", "no data rows"),
        (b"ii,oo,bb\n1,1,1\n", "required column.*'thpt'"),
        (b"a b c\n1 2 3\n", "single column"),
        (b"ii,oo,bb,thpt\nx,y,z,w\n", "no usable rows"),
    ],
)
def test_unusable_files_raise_a_clear_error(content, message):
    with pytest.raises(DataError, match=message):
        load_benchmarks(content, name="bad.csv")


def test_semicolon_delimiter_and_latin1_are_detected():
    text = "Hardware;Batch Size;Input;Output;Throughput\nGPU café;1;10;20;5,5\n"
    loaded = load_benchmarks(csv_bytes(text.replace(",", "."), "latin-1"))
    assert loaded.report.delimiter == ";"
    assert loaded.report.encoding == "cp1252"
    assert loaded.frame["acc"].iloc[0] == "GPU café"
    assert loaded.frame["thpt"].iloc[0] == pytest.approx(5.5)


def test_explicit_mapping_and_extra_config_columns():
    """A mapping names unusual columns; an extra column can identify configurations."""
    text = "p,q,n,speed,site\n1,2,4,50,west\n1,2,8,60,east\n"
    loaded = load_benchmarks(
        csv_bytes(text),
        columns={"ii": "p", "oo": "q", "bb": "n", "thpt": "speed"},
        config_columns=["site"],
    )
    assert loaded.config_columns == ("site",)
    assert list(loaded.frame["site"]) == ["west", "east"]
    with pytest.raises(DataError, match="neither names a column"):
        load_benchmarks(csv_bytes(text), columns={"thpt": "nope"})


def test_file_like_and_path_inputs(tmp_path):
    text = "II,OO,BB,THPT\n1,2,3,4\n"
    path = tmp_path / "bench.csv"
    path.write_text(text)
    from_path = load_benchmarks(path)
    from_file = load_benchmarks(io.BytesIO(text.encode()))
    assert from_path.frame[["ii", "oo", "bb", "thpt"]].equals(
        from_file.frame[["ii", "oo", "bb", "thpt"]]
    )
    assert from_path.report.source == "bench.csv"
    with pytest.raises(DataError, match="cannot read"):
        load_benchmarks(tmp_path / "missing.csv")


def test_queries_keep_every_row_and_reject_bad_values():
    raw, canonical = load_queries(b"acc,ii,oo,bb\nA,1,2,3\nA,4,5,6\n", ["acc"])
    assert list(canonical["bb"]) == [3, 6]
    assert len(raw) == 2
    with pytest.raises(DataError, match=r"column 'bb': non-numeric value in rows 3"):
        load_queries(b"acc,ii,oo,bb\nA,1,2,3\nA,4,5,x\n", ["acc"])
    with pytest.raises(DataError, match="missing column"):
        load_queries(b"ii,oo,bb\n1,2,3\n", ["acc"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_random_bytes_raise_only_data_error(blob):
    """Garbage never raises anything but the documented error."""
    try:
        load_benchmarks(blob)
    except DataError:
        pass


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.lists(
            st.sampled_from(["1", "-2", "x", "", "1e400", "nan", "3.5", ";", '"']),
            min_size=4,
            max_size=6,
        ),
        min_size=1,
        max_size=8,
    )
)
def test_random_cells_raise_only_data_error(rows):
    """Random cell values under a valid header either load or raise DataError."""
    text = "ii,oo,bb,thpt\n" + "\n".join(",".join(r) for r in rows)
    try:
        loaded = load_benchmarks(text.encode(), duplicates="keep")
    except DataError:
        return
    frame = loaded.frame
    assert (frame[["ii", "oo", "bb", "thpt"]] > 0).all().all()
    assert loaded.report.rows_kept + loaded.report.rows_dropped == loaded.report.rows_read
