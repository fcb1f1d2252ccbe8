

# --- invariant ------------------------------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.one_of(st.none(), st.integers(0, 1000))), min_size=1, max_size=25))
def test_a_verband_count_is_the_sum_of_all_its_gemeinden_or_nothing(members):
    """Gemeinden in up to five Verbände, some without a value: every value made is
    the full sum of its Verband, and a Verband with a Gemeinde lacking a value gets none."""
    gem = [f"0713{i:04d}" for i in range(len(members))]
    verband_of = pd.Series({g: f"07131500{v}" for g, (v, _) in zip(gem, members)})
    valued = {g: float(x) for g, (_, x) in zip(gem, members) if x is not None}
    made, _ = verband_values(_obs(COUNT, valued) if valued else _obs(COUNT, {}), verband_of, None)
    made = made.set_index("region_id")["value"]
    for verband, parts in verband_of.groupby(verband_of):
        if all(g in valued for g in parts.index):
            assert made[verband] == sum(valued[g] for g in parts.index)
        else:
            assert verband not in made.index
