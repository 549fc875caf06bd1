"""golive: the go-live validation suite (PYTEST_DONT_REWRITE: the `golive` command imports this package before
pytest starts; its modules assert nothing a test reads)."""
import gc as _gc

# A run makes hundreds of thousands of objects that live as long as it does (modules, clients, answers); the
# cyclic collector's default, a young collection every 700 allocations, spends ~0.2 s of a full run's CPU
# scanning them for cycles it seldom finds. Every 10,000 allocations instead (golive.gather freezes the answers).
_gc.set_threshold(10_000, *_gc.get_threshold()[1:])
