"""Every problem code in the catalog is documented, and every one has Thai and English text."""

from pathlib import Path

from pipeline.catalog import CATALOG

DOC = Path(__file__).resolve().parents[1] / "docs" / "validation.md"


def test_every_code_is_in_docs_validation_md():
    doc = DOC.read_text("utf-8")
    missing = [code for code in CATALOG if f"`{code}`" not in doc]
    assert missing == [], f"add these codes to docs/validation.md: {missing}"


def test_every_kind_speaks_thai_and_english():
    for kind in CATALOG.values():
        assert kind.severity in ("error", "warning")
        assert any("\u0e00" <= ch <= "\u0e7f" for ch in kind.message_th), kind.code
        assert any("\u0e00" <= ch <= "\u0e7f" for ch in kind.fix_th), kind.code
        assert kind.message_en and kind.fix_en, kind.code
        # the English text is written in English (it may quote a Thai example)
        for text in (kind.message_en, kind.fix_en):
            latin = sum(ch.isascii() and ch.isalpha() for ch in text)
            thai = sum("\u0e00" <= ch <= "\u0e7f" for ch in text)
            assert latin > thai, (kind.code, text)
