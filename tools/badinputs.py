"""Write the bad-input corpus: broken and odd images, bogus videos, malformed ground truth, broken and malicious
checkpoints, and a few good inputs, all generated here (deterministic; nothing downloaded). tests/test_contract.py
runs every command over it.

    python tools/badinputs.py OUT      # writes OUT/ and OUT/manifest.json (what each file is)

Layout of OUT (image paths in the JSON files are relative to OUT/images):
- images/good/     3 synthetic 128 px scenes (`simplepose.synth`), the only inputs of the good runs
- images/odd/      odd but valid: grey, 16-bit grey, palette, RGBA, CMYK JPEG, WebP, TIFF, GIF, `.JPG`,
                   a name with spaces and non-ASCII characters
- images/extreme/  a 3×2000 and a 1×1 image
- images/bad/      empty, random bytes, truncated JPEG, JPEG with corrupt middle bytes, PNG with a wrong CRC
- videos/          good.avi; videos/bad/: an AVI that ends early, text named .mp4
- gt/              good.json (the good images), odd.json, extreme.json, mixed.json (good + bad images),
                   results.json (good.json's people as detections), and one malformed file per defect
- ckpt/            tiny.safetensors / tiny.pth (random weights, IMHN(nstack=1, inp_dim=32, increase=16)), and
                   empty, truncated, random bytes, bad safetensors header, another network's state dict, the tiny
                   one cut short, malicious.pth: a pickle that creates `UNPICKLED` in OUT if ever unpickled
                   without `weights_only`, and the tiny one with a NaN (nan.safetensors) or an infinity (inf.pth).
- images/exif/     two 128×96 synthetic scenes as plain PNGs (up_*.png) and as copies stored turned with EXIF
                   orientation 6 and 8 (e6_*.png, e8_*.png), which every viewer shows as the plain ones;
                   gt/exif_upright.json, gt/exif.json (the EXIF copies, annotated as seen) and gt/exif_stored.json
                   (the orientation-6 copies annotated on the stored pixels, 96×128)
- images/huge/     bomb.png: a 31 KB PNG of 16000×16000 pixels
- images/names/    pictures named with a line break and with a terminal escape sequence, a `.heic` photo, a
                   note, and a link to a deleted picture
- outside.png      a picture outside images/; gt/outside.json names it as `../outside.png`, and an absolute `/outside.png`

Malformed annotations carry id 9001, so a message can be checked for naming it."""
import copy, json, shutil, sys
from pathlib import Path
import numpy as np

BAD_ANN = 9001
TINY = dict(nstack=1, inp_dim=32, increase=16)
SIZE = 128

class _Unpickled:
    "Unpickling this creates the marker file: proof that a loader ran code from a checkpoint"
    def __init__(self, marker): self.marker = str(marker)
    def __reduce__(self): return (open, (self.marker, 'w'))

def _person(w, h, rng) -> dict:
    "A plausible annotated person filling the middle of a w×h image (17 labelled keypoints)"
    x0, y0, bw, bh = .3*w, .1*h, .4*w, .8*h
    kx = x0 + bw*rng.uniform(.1, .9, 17); ky = y0 + bh*np.linspace(.05, .95, 17)
    kps = [v for x, y in zip(kx, ky) for v in (round(float(x), 1), round(float(y), 1), 2)]
    poly = [x0, y0, x0 + bw, y0, x0 + bw, y0 + bh, x0, y0 + bh]
    return dict(category_id=1, iscrowd=0, keypoints=kps, num_keypoints=17, bbox=[x0, y0, bw, bh], area=bw*bh,
                segmentation=[[round(v, 1) for v in poly]])

def _coco(images, anns, cats=None) -> dict:
    from simplepose.skeleton import COCO
    return dict(info=dict(description='simplepose bad-input corpus'), licenses=[], images=images, annotations=anns,
                categories=cats or [COCO.category()])

def _dump(path, obj, **kw): Path(path).write_text(json.dumps(obj, **kw))

def images(out:Path, rng) -> dict:
    import cv2
    from PIL import Image
    from simplepose.synth import make_synth_coco
    from simplepose.config import CFG
    scenes = CFG.replace(synth_people=(1, 2), synth_heights=(.6, .9), synth_unannotated_prob=0, synth_max_yaw=45, synth_lying_prob=0)
    src = make_synth_coco(out/'_synth', 3, scenes, seed=0, split='good', size=SIZE)
    good = json.loads(src.read_text())
    (out/'images'/'good').mkdir(parents=True)
    for im in good['images']:
        shutil.copy(src.parent.parent/'images'/im['file_name'], out/'images'/'good'/im['file_name'])
        im['file_name'] = f"good/{im['file_name']}"
    shutil.rmtree(out/'_synth')
    base = cv2.imread(str(out/'images'/good['images'][0]['file_name']))
    rgb = Image.fromarray(base[..., ::-1])
    odd, extreme, bad = out/'images'/'odd', out/'images'/'extreme', out/'images'/'bad'
    for d in (odd, extreme, bad): d.mkdir(parents=True)
    grey = cv2.cvtColor(base, cv2.COLOR_BGR2GRAY)
    cv2.imwrite(str(odd/'grey.png'), grey)
    cv2.imwrite(str(odd/'grey16.png'), grey.astype(np.uint16) * 257)
    rgb.quantize(64).save(odd/'palette.png')
    cv2.imwrite(str(odd/'rgba.png'), cv2.cvtColor(base, cv2.COLOR_BGR2BGRA))
    rgb.convert('CMYK').save(odd/'cmyk.jpg', quality=90)
    rgb.save(odd/'image.webp', quality=90)
    rgb.save(odd/'image.tiff')
    rgb.save(odd/'anim.gif', save_all=True, append_images=[rgb.transpose(Image.Transpose.FLIP_LEFT_RIGHT)], duration=100)
    cv2.imwrite(str(odd/'UPPER.JPG'), base)
    cv2.imwrite(str(odd/'spaces and ümlaut é.jpg'), base)  # OpenCV writes through the byte path on Linux
    cv2.imwrite(str(extreme/'wide_3x2000.png'), (rng.random((3, 2000, 3)) * 255).astype(np.uint8))
    cv2.imwrite(str(extreme/'one_1x1.png'), np.full((1, 1, 3), 128, np.uint8))
    jpg = cv2.imencode('.jpg', base, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()
    (bad/'empty.jpg').write_bytes(b'')
    (bad/'random.jpg').write_bytes(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
    (bad/'truncated.jpg').write_bytes(jpg[:len(jpg)//2])
    mid = bytearray(jpg); n = len(mid)
    mid[n//3:n//3 + 600] = rng.integers(0, 256, 600, dtype=np.uint8).tobytes()
    (bad/'corrupt_middle.jpg').write_bytes(bytes(mid))
    png = bytearray(cv2.imencode('.png', base)[1].tobytes())
    png[29] ^= 0xFF  # a byte of the IHDR chunk's CRC (8 signature + 4 length + 4 type + 13 data = 29)
    (bad/'bad_crc.png').write_bytes(bytes(png))
    def entries(folder, start):
        out_ = []
        for i, f in enumerate(sorted(p for p in folder.iterdir())):
            h, w = (cv2.imread(str(f), cv2.IMREAD_UNCHANGED).shape[:2] if folder != bad else (SIZE, SIZE)) \
                if f.suffix.lower() != '.gif' else (rgb.height, rgb.width)
            out_.append(dict(id=start + i, file_name=f'{folder.name}/{f.name}', width=int(w), height=int(h)))
        return out_
    return dict(good=good, odd=entries(odd, 201), extreme=entries(extreme, 301), bad=entries(bad, 101))

def videos(out:Path, rng):
    import cv2
    from simplepose.synth import render_scene
    vd = out/'videos'; (vd/'bad').mkdir(parents=True)
    def write(path, n):
        vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'), 5, (SIZE, SIZE))
        for i in range(n): vw.write(render_scene(np.random.default_rng([7, i]), size=SIZE)[0])
        vw.release()
    write(vd/'good.avi', 4)
    write(vd/'full.avi', 12)
    data = (vd/'full.avi').read_bytes(); (vd/'full.avi').unlink()
    (vd/'bad'/'truncated.avi').write_bytes(data[:len(data)//2])
    (vd/'bad'/'text.mp4').write_text('this is not a video\n')

def ground_truth(out:Path, ims:dict, rng):
    gt = out/'gt'; gt.mkdir()
    good = ims['good']
    _dump(gt/'good.json', good)
    people = [a for a in good['annotations'] if a['num_keypoints'] > 0 and not a['iscrowd']]
    _dump(gt/'results.json', [dict(image_id=a['image_id'], category_id=1, keypoints=a['keypoints'], score=1.0) for a in people])
    _dump(gt/'odd.json', _coco(ims['odd'], [dict(_person(im['width'], im['height'], rng), id=2001 + i, image_id=im['id'])
                                            for i, im in enumerate(ims['odd'])]))
    _dump(gt/'extreme.json', _coco(ims['extreme'], []))
    bad_people = [dict(_person(SIZE, SIZE, rng), id=3001 + i, image_id=im['id']) for i, im in enumerate(ims['bad'])]  # so prepare reads them
    _dump(gt/'mixed.json', _coco(good['images'] + ims['bad'], good['annotations'] + bad_people))
    (gt/'empty.json').write_bytes(b'')
    (gt/'invalid.json').write_text(json.dumps(good)[:200])
    _dump(gt/'list.json', [good])
    _dump(gt/'no_annotations.json', {k: v for k, v in good.items() if k != 'annotations'})
    _dump(gt/'no_images.json', {k: v for k, v in good.items() if k != 'images'})
    d = copy.deepcopy(good); d['images'][1]['id'] = d['images'][0]['id']
    _dump(gt/'duplicate_ids.json', d)
    def one_bad(name, change, **kw):
        "good.json with the first annotated person changed by `change` (and given id 9001)"
        d = copy.deepcopy(good)
        a = next(a for a in d['annotations'] if a['num_keypoints'] > 0 and not a['iscrowd'])
        for b in d['annotations']: b['id'] += 100  # ids below 9001 whatever the scene holds
        a['id'] = BAD_ANN
        change(d, a)
        _dump(gt/name, d, **kw)
    one_bad('unknown_image.json', lambda d, a: a.update(image_id=999))
    def nan(d, a): a['keypoints'][0:3] = [float('nan'), 10.0, 2]; a['keypoints'][15:18] = [float('inf'), 20.0, 2]
    one_bad('nan_keypoints.json', nan, allow_nan=True)  # the JSON tokens NaN and Infinity
    def other(d, a):
        "a copy of the person, as category 2 'dog', is annotation 9001"
        d['categories'].append(dict(id=2, name='dog', supercategory='animal'))
        d['annotations'].append(dict(copy.deepcopy(a), category_id=2))
        a['id'] = BAD_ANN - 1
    one_bad('non_person.json', other)
    one_bad('wrong_kp_count.json', lambda d, a: a.update(keypoints=a['keypoints'][:-3]))
    one_bad('zero_area.json', lambda d, a: a.update(area=0))
    one_bad('num_keypoints.json', lambda d, a: a.update(num_keypoints=max(0, a['num_keypoints'] - 3) or 5))
    one_bad('degenerate_polygon.json', lambda d, a: a.update(segmentation=[a['segmentation'][0][:4]] if isinstance(a['segmentation'], list)
                                                                          else [[1.0, 1.0, 2.0, 2.0]]))

def checkpoints(out:Path, rng):
    import torch
    from simplepose.model import IMHN, save_safetensors
    from safetensors.torch import save_file
    ck = out/'ckpt'; ck.mkdir()
    torch.manual_seed(0)
    tiny = IMHN(**TINY, init=False).eval()  # PyTorch's default initialisation: noisy maps, so some people are found
    save_safetensors(tiny, ck/'tiny.safetensors')
    torch.save({'weights': tiny.state_dict(), 'epoch': 1}, ck/'tiny.pth')
    (ck/'empty.pth').write_bytes(b'')
    (ck/'empty.safetensors').write_bytes(b'')
    data = (ck/'tiny.pth').read_bytes(); (ck/'truncated.pth').write_bytes(data[:len(data)//2])
    (ck/'random.pth').write_bytes(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
    (ck/'bad_header.safetensors').write_bytes((10**12).to_bytes(8, 'little') + b'{"not": "a header"')
    other = {'conv1.weight': torch.randn(8, 3, 3, 3, generator=torch.Generator().manual_seed(1)), 'fc.weight': torch.zeros(10, 8), 'fc.bias': torch.zeros(10)}
    save_file(other, str(ck/'other_arch.safetensors'))
    torch.save(other, ck/'other_arch.pth')
    cut = dict(list(tiny.state_dict().items())[:-3])
    save_file({k: v.contiguous() for k, v in cut.items()}, str(ck/'cut.safetensors'))
    torch.save({'weights': _Unpickled(out/'UNPICKLED')}, ck/'malicious.pth')

def _exif_png(path, img, orientation:int=None):
    "Write BGR `img` as a PNG, with EXIF `orientation` if given"
    from PIL import Image
    im = Image.fromarray(np.ascontiguousarray(img[..., ::-1]))
    if orientation is None: return im.save(path)
    exif = Image.Exif(); exif[0x0112] = orientation
    im.save(path, exif=exif)

def exif_images(out:Path) -> None:
    "images/exif and its three ground-truth files (see the module's docstring)"
    import cv2
    from simplepose.synth import make_synth_coco
    from simplepose.config import CFG
    scenes = CFG.replace(synth_people=(1, 1), synth_heights=(.7, .9), synth_unannotated_prob=0, synth_crowd_prob=0, synth_max_yaw=45, synth_lying_prob=0)
    src = make_synth_coco(out/'_exif', 2, scenes, seed=3, split='exif', size=(96, 128))
    d, ex = json.loads(src.read_text()), out/'images'/'exif'
    ex.mkdir(parents=True)
    gts = {k: copy.deepcopy(d) for k in ('exif_upright', 'exif', 'exif_stored')}
    for i, im in enumerate(d['images']):
        up = cv2.imread(str(src.parent.parent/'images'/im['file_name']))
        _exif_png(ex/f'up_{i:03d}.png', up)
        _exif_png(ex/f'e6_{i:03d}.png', np.rot90(up, 1), 6)   # stored turned left; orientation 6 turns it right to show it
        _exif_png(ex/f'e8_{i:03d}.png', np.rot90(up, -1), 8)  # stored turned right; orientation 8 turns it left
        gts['exif_upright']['images'][i]['file_name'] = f'exif/up_{i:03d}.png'
        gts['exif']['images'][i]['file_name'] = f'exif/{"e6" if i % 2 == 0 else "e8"}_{i:03d}.png'
        st = gts['exif_stored']['images'][i]
        st.update(file_name=f'exif/e6_{i:03d}.png', width=im['height'], height=im['width'])
    W = d['images'][0]['width']
    for a in gts['exif_stored']['annotations']:  # the seen frame's (x, y) is (W - y, x) of the stored frame
        k = a['keypoints']
        for j in range(0, len(k), 3): k[j], k[j + 1] = k[j + 1], round(W - k[j], 2)
        x, y, w, h = a['bbox']; a['bbox'] = [y, W - x - w, h, w]
        a['segmentation'] = [[c for px, py in zip(s_[::2], s_[1::2]) for c in (py, round(W - px, 2))] for s_ in a['segmentation']] \
            if isinstance(a['segmentation'], list) else a['segmentation']
    for k, v in gts.items(): _dump(out/'gt'/f'{k}.json', v)
    shutil.rmtree(out/'_exif')

def odd_places(out:Path) -> None:
    "images/huge, images/names, outside.png and gt/outside.json (see the module's docstring)"
    from PIL import Image
    (out/'images'/'huge').mkdir(); (out/'images'/'names').mkdir()
    Image.new('1', (16000, 16000)).save(out/'images'/'huge'/'bomb.png')
    first = sorted((out/'images'/'good').iterdir())[0]
    for name in ('new\nline.jpg', '\x1b[31mred.jpg', 'photo.heic'): shutil.copy(first, out/'images'/'names'/name)
    (out/'images'/'names'/'notes.txt').write_text('taken on the trip\n')
    (out/'images'/'names'/'gone.jpg').symlink_to('deleted.jpg')
    shutil.copy(first, out/'outside.png')
    good = json.loads((out/'gt'/'good.json').read_text())
    im0, a0 = good['images'][0], next(a for a in good['annotations'] if a['image_id'] == good['images'][0]['id'])
    extra = [dict(im0, id=401, file_name='../outside.png'), dict(im0, id=402, file_name='/outside.png')] # an absolute name is refused unread
    anns = [dict(a0, id=4001, image_id=401), dict(a0, id=4002, image_id=402)]
    _dump(out/'gt'/'outside.json', dict(good, images=good['images'] + extra, annotations=good['annotations'] + anns))

def nonfinite_checkpoints(out:Path) -> None:
    "ckpt/nan.safetensors and ckpt/inf.pth: the tiny network with one NaN in a batch-norm buffer, one infinity in a weight"
    import torch
    from simplepose.model import IMHN, save_safetensors
    torch.manual_seed(0)
    m = IMHN(**TINY, init=False).eval()
    with torch.no_grad(): m.posenet.pre.bn1.running_var[0] = float('nan')
    save_safetensors(m, out/'ckpt'/'nan.safetensors')
    with torch.no_grad(): m.posenet.pre.bn1.running_var[0] = 1.; m.posenet.outs[-1][0].conv.weight[0, 0, 0, 0] = float('inf')
    torch.save({'weights': m.state_dict()}, out/'ckpt'/'inf.pth')

def write(out) -> dict:
    "Write the corpus into the new folder `out`; returns the manifest (also written to `out/manifest.json`)"
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=False)
    rng = np.random.default_rng(12)
    ims = images(out, rng)
    videos(out, rng)
    ground_truth(out, ims, rng)
    checkpoints(out, rng)
    exif_images(out); odd_places(out); nonfinite_checkpoints(out)
    rel = lambda d: sorted(str(p.relative_to(out)) for p in (out/d).iterdir() if p.is_file())
    man = dict(good_images=rel('images/good'), odd_images=rel('images/odd'), extreme_images=rel('images/extreme'),
               bad_images=rel('images/bad'), good_videos=['videos/good.avi'], bad_videos=rel('videos/bad'),
               gt=rel('gt'), checkpoints=rel('ckpt'), marker='UNPICKLED', bad_ann=BAD_ANN, tiny=TINY, size=SIZE)
    _dump(out/'manifest.json', man, indent=1)
    return man

if __name__ == '__main__':
    if len(sys.argv) != 2: sys.exit(__doc__.split('\n\n')[1].strip())
    man = write(sys.argv[1])
    print(f'{sys.argv[1]}: ' + ', '.join(f'{len(v)} {k}' for k, v in man.items() if isinstance(v, list)))
