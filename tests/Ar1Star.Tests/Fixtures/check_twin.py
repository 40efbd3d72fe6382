# Independent reader of a CORe50 twin (Python standard library only): decodes PNGs with zlib,
# reads the npz with zipfile/struct, the pickles with pickle, and cross-checks them all.
import ast, pickle, struct, sys, zipfile, zlib

root = sys.argv[1]
paths = pickle.load(open(f'{root}/paths.pkl', 'rb'))
lup = pickle.load(open(f'{root}/LUP.pkl', 'rb'))
labels = pickle.load(open(f'{root}/labels.pkl', 'rb'))
raw = zipfile.ZipFile(f'{root}/core50_imgs.npz').read('x.npy')
assert raw[:6] == b'\x93NUMPY'
hlen = struct.unpack('<H', raw[8:10])[0]
header = ast.literal_eval(raw[10:10 + hlen].decode('latin1'))
assert header['descr'] == '|u1' and not header['fortran_order']
n, side = header['shape'][0], header['shape'][1]
data = raw[10 + hlen:]
assert len(data) == n * side * side * 3 and len(paths) == n

def decode_png(path):
    blob = open(path, 'rb').read()
    assert blob[:8] == b'\x89PNG\r\n\x1a\n'
    i, idat = 8, b''
    while i < len(blob):
        length, kind = struct.unpack('>I4s', blob[i:i + 8])
        chunk = blob[i + 8:i + 8 + length]
        i += 12 + length
        if kind == b'IHDR':
            w, h, depth, colour = struct.unpack('>IIBB', chunk[:10])
        elif kind == b'IDAT':
            idat += chunk
    assert depth == 8 and colour == 2, (depth, colour)
    rows, stride, out, prev, p = zlib.decompress(idat), w * 3, bytearray(), bytearray(w * 3), 0
    for _ in range(h):
        kind, line = rows[p], bytearray(rows[p + 1:p + 1 + stride])
        p += 1 + stride
        for x in range(stride):
            a = line[x - 3] if x >= 3 else 0
            b, c = prev[x], (prev[x - 3] if x >= 3 else 0)
            if kind == 1: line[x] = (line[x] + a) & 255
            elif kind == 2: line[x] = (line[x] + b) & 255
            elif kind == 3: line[x] = (line[x] + (a + b) // 2) & 255
            elif kind == 4:
                q = a + b - c
                pa, pb, pc = abs(q - a), abs(q - b), abs(q - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out += line
        prev = line
    return bytes(out), w

for k in range(0, n, 7):
    pixels, w = decode_png(f'{root}/core50_128x128/{paths[k]}')
    assert w == side and pixels == data[k * side * side * 3:(k + 1) * side * side * 3], paths[k]

folders = {'ni': 'batches_filelists/NI_inc', 'nc': 'batches_filelists/NC_inc', 'nic': 'batches_filelists/NIC_inc',
           'nicv2_79': 'NIC_v2_79', 'nicv2_196': 'NIC_v2_196', 'nicv2_391': 'NIC_v2_391'}
for scenario, folder in folders.items():
    for run in range(10):
        batches, ys = lup[scenario][run], labels[scenario][run]
        for b in range(len(batches)):
            name = f'train_batch_{b:02d}_filelist.txt' if b < len(batches) - 1 else 'test_filelist.txt'
            lines = [l.split() for l in open(f'{root}/{folder}/run{run}/{name}')]
            assert [p for p, _ in lines] == [paths[i] for i in batches[b]], (scenario, run, b)
            assert [int(y) for _, y in lines] == ys[b], (scenario, run, b)
print('ok', n, side)
