# Writes LUP.pkl / labels.pkl whose lists are NumPy int arrays and scalars, without NumPy: stand-in
# modules give the classes the names NumPy pickles under, and reduce exactly as NumPy 1.x does
# (_reconstruct + BUILD with (version, shape, dtype, fortran, raw bytes); dtype(code, False, True)
# + BUILD; scalar(dtype, raw bytes)). Prints the plain values as JSON for comparison.
import json, pickle, struct, sys, types

numpy = types.ModuleType('numpy'); core = types.ModuleType('numpy.core'); multiarray = types.ModuleType('numpy.core.multiarray')
sys.modules.update({'numpy': numpy, 'numpy.core': core, 'numpy.core.multiarray': multiarray})

class dtype:
    def __init__(self, code, order): self.code, self.order = code, order
    def __reduce__(self): return (dtype, (self.code, False, True), (3, self.order, None, None, None, -1, -1, 0))
dtype.__module__ = 'numpy'

class ndarray:
    def __init__(self, values, code, order):
        self.values, self.dt = values, dtype(code, order)
    def __reduce__(self):
        fmt = {'i8': 'q', 'i4': 'i', 'u2': 'H', 'i2': 'h'}[self.dt.code]
        raw = struct.pack(('>' if self.dt.order == '>' else '<') + fmt * len(self.values), *self.values)
        return (_reconstruct, (ndarray, (0,), b'b'), (1, (len(self.values),), self.dt, False, raw))
ndarray.__module__ = 'numpy'

def _reconstruct(*a): raise NotImplementedError
_reconstruct.__module__ = 'numpy.core.multiarray'
def scalar(*a): raise NotImplementedError
scalar.__module__ = 'numpy.core.multiarray'
numpy.dtype, numpy.ndarray, multiarray._reconstruct, multiarray.scalar = dtype, ndarray, _reconstruct, scalar

class npint:
    def __init__(self, v): self.v = v
    def __reduce__(self): return (scalar, (dtype('i8', '<'), struct.pack('<q', self.v)))

root, protocol = sys.argv[1], int(sys.argv[2])
codes = [('i8', '<'), ('i4', '<'), ('u2', '>'), ('i2', '<')]
lup, labels = [], []
for b in range(9):  # ni: 8 batches and the test set
    idx = [b * 3 + k for k in range(3)]
    code, order = codes[b % len(codes)]
    lup.append(ndarray(idx, code, order))
    labels.append([npint(i % 50) for i in idx] if b % 2 else ndarray([i % 50 for i in idx], 'i8', '<'))
pickle.dump({'ni': [lup]}, open(f'{root}/LUP.pkl', 'wb'), protocol=protocol)
pickle.dump({'ni': [labels]}, open(f'{root}/labels.pkl', 'wb'), protocol=protocol)
print(json.dumps([[b * 3 + k for k in range(3)] for b in range(9)]))
