"""MP4 boxes, just enough to find and patch a few of them: faststart, and H.264 SPS size patching."""

from __future__ import annotations

from dataclasses import dataclass

_MP4_PARENTS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf"}


@dataclass(frozen=True)
class Box:
    kind: bytes
    start: int  # where its size field is
    body: int  # where its contents start
    end: int
    depth: int


def mp4_boxes(data: bytes | bytearray, start: int = 0, end: int | None = None, depth: int = 0) -> list[Box]:
    """Every box in `data`, parents before their children."""
    end = len(data) if end is None else end
    boxes: list[Box] = []
    position = start
    while position + 8 <= end:
        size = int.from_bytes(data[position : position + 4], "big")
        kind = bytes(data[position + 4 : position + 8])
        header = 8
        if size == 1:
            size, header = int.from_bytes(data[position + 8 : position + 16], "big"), 16
        elif size == 0:
            size = end - position
        box = Box(kind, position, position + header, position + size, depth)
        boxes.append(box)
        if kind in _MP4_PARENTS:
            boxes += mp4_boxes(data, box.body, box.end, depth + 1)
        elif kind == b"stsd":  # version/flags and an entry count, then sample entries
            boxes += mp4_boxes(data, box.body + 8, box.end, depth + 1)
        elif kind in (b"avc1", b"avc3"):  # a visual sample entry's 78 bytes of fields, then boxes
            boxes += mp4_boxes(data, box.body + 78, box.end, depth + 1)
        position += size
    return boxes


def faststart(data: bytes) -> bytes:
    """Move the moov box in front of mdat (what `-movflags +faststart` does), fixing chunk offsets."""
    boxes = mp4_boxes(data)
    top = [box for box in boxes if box.depth == 0]
    moov = next(box for box in top if box.kind == b"moov")
    moov_bytes = bytearray(data[moov.start : moov.end])
    shift = moov.end - moov.start
    for box in mp4_boxes(moov_bytes):
        if box.kind in (b"stco", b"co64"):
            width = 4 if box.kind == b"stco" else 8
            count = int.from_bytes(moov_bytes[box.body + 4 : box.body + 8], "big")
            for number in range(count):
                at = box.body + 8 + number * width
                offset = int.from_bytes(moov_bytes[at : at + width], "big")
                moov_bytes[at : at + width] = (offset + shift).to_bytes(width, "big")
    rest = b"".join(bytes(data[box.start : box.end]) for box in top if box.kind not in (b"ftyp", b"moov"))
    ftyp = next(box for box in top if box.kind == b"ftyp")
    return bytes(data[ftyp.start : ftyp.end]) + bytes(moov_bytes) + rest


def _rbsp(nal: bytes) -> bytes:
    """Remove H.264 emulation-prevention bytes (00 00 03 → 00 00)."""
    out, zeros = bytearray(), 0
    for byte in nal:
        if zeros >= 2 and byte == 3:
            zeros = 0
            continue
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def _escape(rbsp: bytes) -> bytes:
    out, zeros = bytearray(), 0
    for byte in rbsp:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


class _BitReader:
    def __init__(self, data: bytes) -> None:
        self.bits = "".join(f"{byte:08b}" for byte in data)
        self.position = 0

    def u(self, count: int) -> int:
        value = int(self.bits[self.position : self.position + count], 2) if count else 0
        self.position += count
        return value

    def ue(self) -> int:
        zeros = 0
        while self.bits[self.position] == "0":
            zeros += 1
            self.position += 1
        self.position += 1
        return (1 << zeros) - 1 + self.u(zeros)


def _ue_bits(value: int) -> str:
    code = value + 1
    return "0" * (code.bit_length() - 1) + format(code, "b")


def _patch_sps(sps: bytes, *, width: int, height: int) -> bytes:
    """An H.264 SPS NAL unit (as x264 writes it) rewritten to claim width×height (multiples of 16)."""
    reader = _BitReader(_rbsp(sps[1:]))
    profile = reader.u(8)
    reader.u(16)  # constraint flags, level
    reader.ue()  # seq_parameter_set_id
    if profile in (100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135):
        if reader.ue() == 3:  # chroma_format_idc
            reader.u(1)
        reader.ue()  # bit depths
        reader.ue()
        reader.u(1)
        if reader.u(1):
            raise ValueError("SPS with scaling matrices: not handled")
    reader.ue()  # log2_max_frame_num_minus4
    order_type = reader.ue()
    if order_type == 0:
        reader.ue()
    elif order_type == 1:
        raise ValueError("SPS with pic_order_cnt_type 1: not handled")
    reader.ue()  # max_num_ref_frames
    reader.u(1)
    before = reader.position
    reader.ue()  # pic_width_in_mbs_minus1
    reader.ue()  # pic_height_in_map_units_minus1 (frame_mbs_only for x264's progressive output)
    bits = (
        reader.bits[:before] + _ue_bits(width // 16 - 1) + _ue_bits(height // 16 - 1) + reader.bits[reader.position :]
    )
    bits = bits.rstrip("0")  # the rbsp stop bit is now last; pad it to a byte again
    bits += "0" * (-len(bits) % 8)
    rbsp = bytes(int(bits[at : at + 8], 2) for at in range(0, len(bits), 8))
    return sps[:1] + _escape(rbsp)


def patch_h264_size(data: bytes, *, width: int, height: int, header_size: tuple[int, int] | None = None) -> bytes:
    """An MP4 (index at the end) whose avcC SPS claims width×height, and optionally whose tkhd and
    avc1 boxes claim header_size. Growing the avcC box grows its parents; the media data before the
    index does not move, so no chunk offset changes."""
    patched = bytearray(data)
    boxes = mp4_boxes(patched)
    avcc = next(box for box in boxes if box.kind == b"avcC")
    mdat = next(box for box in boxes if box.kind == b"mdat")
    if mdat.start > avcc.start:
        raise ValueError("expects the index after the media data")
    config = bytes(patched[avcc.body : avcc.end])
    if config[5] & 0x1F != 1:
        raise ValueError("expects one SPS")
    sps_length = int.from_bytes(config[6:8], "big")
    sps = _patch_sps(config[8 : 8 + sps_length], width=width, height=height)
    new_config = config[:6] + len(sps).to_bytes(2, "big") + sps + config[8 + sps_length :]
    growth = len(new_config) - len(config)
    if header_size is not None:
        header_width, header_height = header_size
        avc1 = next(box for box in boxes if box.kind == b"avc1")
        patched[avc1.body + 24 : avc1.body + 28] = header_width.to_bytes(2, "big") + header_height.to_bytes(2, "big")
        tkhd = next(box for box in boxes if box.kind == b"tkhd")  # 16.16 fixed point, last 8 bytes
        patched[tkhd.end - 8 : tkhd.end] = (header_width << 16).to_bytes(4, "big") + (header_height << 16).to_bytes(
            4, "big"
        )
    for box in boxes:
        if box.start <= avcc.start and avcc.end <= box.end:  # avcC and every box that holds it
            if box.body - box.start != 8:
                raise ValueError("64-bit box sizes not handled")
            patched[box.start : box.start + 4] = (box.end - box.start + growth).to_bytes(4, "big")
    patched[avcc.body : avcc.end] = new_config
    return bytes(patched)
