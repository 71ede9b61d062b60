/* Photos are resized on the device before they are stored: JPEG, longest side at most 1600 px, quality
 * stepping down (0.85 → 0.4), then the side shrinking, until the file is under the server's EVIDENCE_MAX_BYTES. */
const MAX_SIDE = 1600;

export async function resize(file, maxBytes) {
  const bitmap = await createImageBitmap(file);
  let side = MAX_SIDE;
  for (;;) {
    const scale = Math.min(1, side / Math.max(bitmap.width, bitmap.height));
    const canvas = new OffscreenCanvas(Math.max(1, Math.round(bitmap.width * scale)), Math.max(1, Math.round(bitmap.height * scale)));
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    for (const quality of [0.85, 0.7, 0.55, 0.4]) {
      const blob = await canvas.convertToBlob({ type: "image/jpeg", quality });
      if (blob.size <= maxBytes) return blob;
    }
    side = Math.round(side * 0.7);
    if (side < 100) throw new Error("照片无法压缩到允许的大小");
  }
}
