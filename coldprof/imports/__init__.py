"""`coldprof imports`: where a handler's init phase goes, module by module."""

from coldprof.imports.profile import profile_imports
from coldprof.imports.result import ImportsResult

__all__ = ["ImportsResult", "profile_imports"]
