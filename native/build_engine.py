"""cffi (API mode, out-of-line) build description for the native engine (placeholder)."""

from cffi import FFI

ffibuilder = FFI()
ffibuilder.cdef("int oio_version(void);")
ffibuilder.set_source("objectio.native._engine", "int oio_version(void) { return 1; }")

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
