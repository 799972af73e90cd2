"""coordinated_share: organic versus manufactured volume."""

import pandas as pd
import pytest

from tsinvest.exceptions import ParameterError
from tsinvest.trends import coordinated_share, term_occurrences


def test_shares_accounts_and_assessment():
    rows = pd.DataFrame({
        "account_id": pd.array(["001", "001", "001", "002", "003", "004", "005", "006", "007"], dtype="string"),
        "policy": ["spam"] * 4 + ["hate"] * 5,
    })
    shares = coordinated_share(rows, pd.Series(["001", "006"], dtype="string"), by="policy")
    assert shares["policy"].tolist() == ["spam", "hate"]
    spam = shares.iloc[0]
    assert (spam["total"], spam["coordinated"], spam["accounts"], spam["coordinated_accounts"]) == (4, 3, 2, 1)
    assert spam["coordinated_share"] == pytest.approx(0.75) and spam["account_share"] == pytest.approx(0.5)
    assert shares["assessment"].tolist() == ["coordinated", "mixed"]
    organic = coordinated_share(rows, [], by="policy")
    assert set(organic["assessment"]) == {"organic"} and (organic["coordinated"] == 0).all()


def test_leading_zero_ids_match_exactly_and_numbers_are_refused():
    rows = pd.DataFrame({"reporter_id": pd.array(["0123", "123"], dtype="string"), "policy": ["spam", "spam"]})
    shares = coordinated_share(rows, {"0123"}, actor="reporter_id")
    assert shares.loc[0, "coordinated"] == 1
    with pytest.raises(ParameterError, match="strings"):
        coordinated_share(rows, [123], actor="reporter_id")
    with pytest.raises(ParameterError, match="'account_id'"):
        coordinated_share(rows, ["0123"])


def test_share_of_a_hashtag_from_term_occurrences():
    events = pd.DataFrame({
        "account_id": pd.array(["01", "02", "03", "04"], dtype="string"),
        "text": ["#raid now", "#raid", "#raid #cats", "#cats"],
        "ts": pd.to_datetime(["2026-03-05T10:00Z"] * 4, utc=True),
    })
    occurrences = term_occurrences(events, start="2026-03-05", end="2026-03-06")
    shares = coordinated_share(occurrences, ["01", "02"], by="term")
    assert shares.set_index("term")["coordinated_share"].round(3).to_dict() == {"#raid": 0.667, "#cats": 0.0}
