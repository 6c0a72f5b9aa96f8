from workday_fakes import mocked

__all__ = ["mocked"]
