"""Money is Decimal, rounded to the fen (0.01) half-up, everywhere."""

from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")


def to_fen(value: Decimal | int | str) -> Decimal:
    """Round to the fen, half-up. Floats are refused: they cannot hold money exactly."""
    if isinstance(value, float):
        raise TypeError("money must not be a float; pass Decimal, int or str")
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)
