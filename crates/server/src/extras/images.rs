//! Still images: telling a blank frame from a real one, resizing, blurhash placeholders.
//!
//! Resizing and decoding use the `image` crate rather than ffmpeg so that sidecar posters get
//! their sizes and placeholders on machines without ffmpeg too, and a size is made in-process
//! in milliseconds instead of by starting a program.

use std::io::BufWriter;
use std::path::Path;

use image::imageops::FilterType;
use image::DynamicImage;

/// Widths a still is kept at besides its full size (at most [`FULL_WIDTH`]).
pub const SIZES: [u32; 2] = [320, 640];
/// The widest a generated still is stored.
pub const FULL_WIDTH: u32 = 1280;

/// Mean and standard deviation of the luma (0–255).
pub fn luma_stats(img: &DynamicImage) -> (f64, f64) {
    let small = img.thumbnail(64, 64).to_luma8();
    let n = (f64::from(small.width()) * f64::from(small.height())).max(1.0);
    let mean = small.pixels().map(|p| f64::from(p.0[0])).sum::<f64>() / n;
    let var = small
        .pixels()
        .map(|p| (f64::from(p.0[0]) - mean).powi(2))
        .sum::<f64>()
        / n;
    (mean, var.sqrt())
}

/// A frame not worth showing: nearly black, or one flat colour (a fade, a title card's
/// background).
pub fn looks_blank(img: &DynamicImage) -> bool {
    let (mean, sd) = luma_stats(img);
    mean < 24.0 || sd < 10.0
}

/// The image's blurhash (4×3 components, from a 64 px copy: the hash keeps only low
/// frequencies, so a larger source adds nothing but time).
pub fn blurhash_of(img: &DynamicImage) -> Result<String, String> {
    let small = img.thumbnail(64, 64).to_rgba8();
    blurhash::encode(4, 3, small.width(), small.height(), small.as_raw())
        .map_err(|e| format!("cannot compute a blurhash: {e:?}"))
}

/// Writes `img` as a JPEG at `path` (through a temporary file, so readers never see half a file).
pub fn write_jpeg(img: &DynamicImage, path: &Path) -> Result<(), String> {
    let tmp = path.with_extension("jpg.tmp");
    let write = || -> Result<(), image::ImageError> {
        let file = std::fs::File::create(&tmp)?;
        let mut encoder =
            image::codecs::jpeg::JpegEncoder::new_with_quality(BufWriter::new(file), 82);
        encoder.encode_image(&img.to_rgb8())?;
        Ok(())
    };
    write().map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The version of an image file: its size and modification time. Changes when the file does.
pub fn stamp(md: &std::fs::Metadata) -> String {
    let mtime = md
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs());
    format!("{:x}-{mtime:x}", md.len())
}

/// The MIME type of an image file, from its extension.
pub fn content_type(path: &Path) -> &'static str {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .as_deref()
    {
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        Some("gif") => "image/gif",
        _ => "image/jpeg",
    }
}

/// `img` scaled to `width` (keeping its aspect ratio); never enlarged.
pub fn resized(img: &DynamicImage, width: u32) -> DynamicImage {
    if width >= img.width() {
        return img.clone();
    }
    let height =
        (u64::from(img.height()) * u64::from(width) / u64::from(img.width().max(1))).max(1) as u32;
    img.resize_exact(width, height, FilterType::Triangle)
}

/// The size to serve for a request of `?w=`: the smallest kept width that is at least as wide,
/// else the full image (`None`).
pub fn size_for(requested: Option<u32>, full_width: u32) -> Option<u32> {
    let w = requested?;
    SIZES.into_iter().find(|&s| s >= w && s < full_width)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    #[test]
    fn blank_and_busy_frames() {
        let black = DynamicImage::ImageRgb8(RgbImage::from_pixel(320, 180, Rgb([4, 4, 4])));
        assert!(looks_blank(&black));
        let grey = DynamicImage::ImageRgb8(RgbImage::from_pixel(320, 180, Rgb([128, 128, 128])));
        assert!(looks_blank(&grey));
        let bars = DynamicImage::ImageRgb8(RgbImage::from_fn(320, 180, |x, _| {
            let v = (x / 40 * 36) as u8;
            Rgb([v, 255 - v, v / 2])
        }));
        assert!(!looks_blank(&bars));
        let hash = blurhash_of(&bars).unwrap();
        assert_eq!(hash.len(), 4 + 2 * 4 * 3, "{hash}");
    }

    #[test]
    fn sizes() {
        assert_eq!(size_for(None, 1280), None);
        assert_eq!(size_for(Some(100), 1280), Some(320));
        assert_eq!(size_for(Some(500), 1280), Some(640));
        assert_eq!(size_for(Some(900), 1280), None);
        assert_eq!(size_for(Some(500), 600), None);
        let img = DynamicImage::ImageRgb8(RgbImage::new(1280, 720));
        let small = resized(&img, 320);
        assert_eq!((small.width(), small.height()), (320, 180));
        assert_eq!(resized(&img, 4000).width(), 1280);
    }
}
