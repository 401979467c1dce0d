from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from qdev.redact import MASK, has_credentials, mask_credentials

USERINFO = st.text(
    alphabet=st.characters(exclude_characters="/\"'", exclude_categories=["C", "Z"]),
    min_size=1,
)


def test_password_in_an_index_url_is_masked() -> None:
    text = "publish to https://alice:s3cret@pypi.internal/simple/ now"
    assert mask_credentials(text) == f"publish to https://{MASK}@pypi.internal/simple/ now"


def test_every_url_in_a_text_is_masked_and_the_rest_kept() -> None:
    text = "a=https://t0ken@one.example/x b=http://u:p@two.example c=https://three.example/"
    masked = mask_credentials(text)
    assert "t0ken" not in masked
    assert "u:p" not in masked
    assert "https://three.example/" in masked


def test_a_password_holding_an_unencoded_at_sign_is_masked_whole() -> None:
    assert mask_credentials("https://u:p@ss@host.example/simple") == (
        f"https://{MASK}@host.example/simple"
    )


def test_url_without_credentials_is_unchanged() -> None:
    text = "https://pypi.org/simple/ and git@github.example:team/repo.git"
    assert mask_credentials(text) == text
    assert not has_credentials("https://pypi.org/simple/")


@given(userinfo=USERINFO, host=st.from_regex(r"[a-z]{1,10}\.[a-z]{2,5}", fullmatch=True))
def test_no_userinfo_survives_masking(userinfo: str, host: str) -> None:
    url = f"https://{userinfo}@{host}/simple/"
    assert has_credentials(url)
    masked = mask_credentials(url)
    assert masked == f"https://{MASK}@{host}/simple/"
