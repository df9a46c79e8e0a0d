"""Infrastructure for tests and benchmarks (throwaway servers); not used by the product."""
