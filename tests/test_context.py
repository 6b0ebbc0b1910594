"""The shared context: a URL round-trips it, and a tampered URL never breaks a page."""

from __future__ import annotations

from ala.context import Context, from_query, to_query


def test_a_context_survives_the_url_round_trip():
    context = Context(
        dataset=3,
        configs=(("Nvidia A100 GPU", "1", "vLLM", "meta-llama/Meta-Llama-3-8B"), ("a|b", "2")),
        ii=1024,
        oo=128,
        bb=16,
        level=0.8,
        target=4.5,
        target_unit="requests/s",
        ttft_ms=500,
        tpot_ms=30,
        percentile="p99",
        price=2.5,
        currency="EUR",
    )
    query = to_query(context)
    assert all(isinstance(v, str) for v in query.values())
    assert from_query(query) == context
    assert to_query(Context()) == {}  # defaults keep the link short


def test_bad_link_values_keep_their_defaults_and_are_named():
    query = {
        "dataset": "../../etc",
        "cfg": '[["ok"], 5]',
        "ii": "-3",
        "oo": "nan",
        "level": "1.5",
        "unit": "watts",
        "cur": "<script>",
        "bb": "64",
    }
    context = from_query(query)
    assert context.bb == 64
    assert (context.dataset, context.configs, context.ii, context.oo) == (None, (), 512, 512)
    assert (context.level, context.target_unit, context.currency) == (0.9, "tokens/s", "USD")
    assert len(context.problems) == 7
    assert all(p.startswith("link parameter ") for p in context.problems)
    assert from_query({"cfg": "x" * 10_000}).problems  # absurdly long values are refused


def test_requests_per_second_become_tokens_per_second():
    assert Context(ii=100, oo=50, target=2, target_unit="requests/s").tokens_per_s == 300
    assert Context(target=2000).tokens_per_s == 2000


def test_large_and_precise_numbers_survive_the_link():
    """A target of 1,234,567 tokens/s must not come back rounded to 6 digits."""
    context = Context(target=1_234_567.0, price=2.345678, ii=123_457.0)
    assert from_query(to_query(context)) == context
