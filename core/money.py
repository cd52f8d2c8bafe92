"""Money is Decimal, rounded to the fen (0.01) half-up, everywhere; and how it reads: 12,345.60 元, 62.5%."""

from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")


def to_fen(value: Decimal | int | str) -> Decimal:
    """Round to the fen, half-up. Floats are refused: they cannot hold money exactly."""
    if isinstance(value, float):
        raise TypeError("money must not be a float; pass Decimal, int or str")
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def amount_text(value: Decimal | int | str | None) -> str:
    """12345.6 -> "12,345.60" (to the fen, thousands separated); None -> "—"."""
    if value in (None, ""):
        return "—"
    return f"{to_fen(value):,.2f}"


def yuan_text(value: Decimal | int | str | None) -> str:
    """12345.6 -> "12,345.60 元"."""
    text = amount_text(value)
    return text if text == "—" else f"{text} 元"


def percent_text(value: Decimal | int | str | None) -> str:
    """A ratio as a percentage without trailing zeros: 0.6000 -> "60%", 0.625 -> "62.5%"."""
    if value in (None, ""):
        return "—"
    if isinstance(value, float):
        raise TypeError("ratios must not be floats; pass Decimal, int or str")
    percent = (Decimal(value) * 100).normalize()
    return f"{percent:f}%"
