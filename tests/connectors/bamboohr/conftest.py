from bamboo_fakes import mocked

__all__ = ["mocked"]
