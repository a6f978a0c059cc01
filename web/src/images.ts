import { decode } from "blurhash";

// Artwork needs the bearer header, so images are fetched and shown through blob: URLs.
// Images load when they come near the viewport (IntersectionObserver), at most
// MAX_PARALLEL at a time, nearest-first; every image sits in a fixed-ratio box with a
// placeholder colour, so nothing shifts when it arrives.


const MAX_PARALLEL = 6;
const CACHE_LIMIT = 400;

const cache = new Map<string, string>(); // url → blob: URL (insertion order = age)
const inflight = new Map<string, Promise<string | null>>();
const queue: { img: HTMLImageElement; url: string }[] = [];
let running = 0;
let generation = 0;

const observer =
  typeof IntersectionObserver !== "undefined"
    ? new IntersectionObserver(
        (entries) => {
          for (const e of entries) {
            const img = e.target as HTMLImageElement;
            if (e.isIntersecting) {
              observer!.unobserve(img);
              const url = img.dataset.src;
              if (url) enqueue(img, url);
            }
          }
        },
        { rootMargin: "400px 400px" },
      )
    : null;

function remember(url: string, blobUrl: string) {
  cache.set(url, blobUrl);
  if (cache.size > CACHE_LIMIT) {
    const oldest = cache.keys().next().value as string;
    const b = cache.get(oldest);
    cache.delete(oldest);
    // An <img> keeps showing a decoded image after its blob URL is revoked.
    if (b) setTimeout(() => URL.revokeObjectURL(b), 5000);
  }
}

async function fetchBlob(url: string): Promise<string | null> {
  const hit = cache.get(url);
  if (hit) return hit;
  let p = inflight.get(url);
  if (!p) {
    p = (async () => {
      try {
        const res = await fetch(url, { credentials: "same-origin" });
        if (!res.ok) return null;
        const blob = await res.blob();
        const b = URL.createObjectURL(blob);
        remember(url, b);
        return b;
      } catch {
        return null;
      } finally {
        inflight.delete(url);
      }
    })();
    inflight.set(url, p);
  }
  return p;
}

function show(img: HTMLImageElement, blobUrl: string | null) {
  if (!blobUrl) {
    img.closest(".art")?.classList.add("art-missing");
    return;
  }
  img.addEventListener("load", () => img.classList.add("loaded"), { once: true });
  img.src = blobUrl;
}

function enqueue(img: HTMLImageElement, url: string) {
  const hit = cache.get(url);
  if (hit) return show(img, hit);
  queue.push({ img, url });
  pump();
}

function pump() {
  while (running < MAX_PARALLEL && queue.length) {
    const job = queue.shift()!;
    if (!job.img.isConnected) continue; // the page changed before its turn came
    running++;
    const gen = generation;
    fetchBlob(job.url)
      .then((b) => { if (gen === generation || job.img.isConnected) show(job.img, b); })
      .finally(() => { running--; pump(); });
  }
}

/** Forget queued images (call on navigation). Cached blobs stay. */
export function resetImageQueue() {
  generation++;
  queue.length = 0;
}

/**
 * An <img> in a placeholder box. `eager` loads at once (hero images), otherwise it loads
 * when near the viewport.
 */
export function lazyImage(url: string | null | undefined, alt: string, eager = false): HTMLImageElement {
  const img = document.createElement("img");
  img.alt = alt;
  img.decoding = "async";
  img.draggable = false;
  if (!url) return img;
  img.dataset.src = url;
  const hit = cache.get(url);
  if (hit) {
    img.src = hit;
    img.classList.add("loaded");
  } else if (eager || !observer) {
    // Wait a tick so the element is in the document (the queue skips detached images).
    queueMicrotask(() => enqueue(img, url));
  } else {
    observer.observe(img);
  }
  return img;
}

const placeholders = new Map<string, string>();

/**
 * A data: URL of the blurhash painted at 32×32 (the browser scales it up smoothly), to show in
 * an artwork box until the image arrives; null when the hash is malformed.
 */
export function blurhashUrl(hash: string): string | null {
  const hit = placeholders.get(hash);
  if (hit) return hit;
  try {
    const size = 32;
    const pixels = decode(hash, size, size);
    const canvas = document.createElement("canvas");
    canvas.width = size;
    canvas.height = size;
    const ctx = canvas.getContext("2d");
    if (!ctx) return null;
    ctx.putImageData(new ImageData(new Uint8ClampedArray(pixels), size, size), 0, 0);
    const url = canvas.toDataURL();
    placeholders.set(hash, url);
    return url;
  } catch {
    return null; // not a valid blurhash: the plain placeholder colour stays
  }
}
