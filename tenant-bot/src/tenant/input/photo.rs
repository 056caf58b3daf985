//! A group photo from a picture a user uploaded (a Telegram photo, or a
//! document holding the original file), made into the square JPEG that
//! WhatsApp keeps as a group's picture.
//!
//! Users send whatever they have: camera JPEGs of several megapixels that
//! are stored sideways with an EXIF rotation, PNG screenshots and logos with
//! transparent backgrounds, WebP images saved from the web, GIFs and BMPs.
//! WhatsApp wants none of that variety, so every upload is decoded, cut to
//! its centre square, scaled to [`SIDE`] × [`SIDE`], laid on white where it
//! was transparent and encoded as JPEG; a picture that cannot be used gets a
//! reason the user can act on instead.
//!
//! Uploads are untrusted input. The byte size is judged before any decoding,
//! and decoding runs under pixel and memory limits, so a small file whose
//! header claims an enormous picture (a decompression bomb) is refused
//! instead of allocating gigabytes.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::{self, FilterType};
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageReader, Limits, Rgb, RgbImage};

/// The width and height, in pixels, of every group photo made here: the
/// size WhatsApp itself stores group pictures at.
pub const SIDE: u32 = 640;

/// The shortest side, in pixels, a picture may have. WhatsApp rejects group
/// photos smaller than 192 × 192, and scaling a tinier picture up to
/// [`SIDE`] would only give a blur.
pub const MIN_SIDE: u32 = 192;

/// The longest side, in pixels, a picture may have to be decoded at all.
/// Phone cameras stay well below it; a header claiming more is most likely
/// a decompression bomb.
pub const MAX_SIDE: u32 = 8192;

/// The most memory, in bytes, decoding one picture may take: the pixels of
/// a [`MAX_SIDE`] × [`MAX_SIDE`] picture with 8-bit RGBA.
const MAX_ALLOC: u64 = 256 * 1024 * 1024;

/// JPEG quality of the result: no visible artefacts, and a 640 × 640 photo
/// stays around 100 KB.
const QUALITY: u8 = 85;

/// The scaling filter: sharp when shrinking camera photos, without the
/// blockiness of cheaper filters when enlarging small ones.
const FILTER: FilterType = FilterType::Lanczos3;

/// Why an upload gives no group photo.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The upload holds no bytes at all.
    #[error("the file is empty")]
    Empty,
    /// The upload is bigger than the caller accepts; `size` and `limit` are
    /// in bytes.
    #[error("the file has {size} bytes, more than the limit of {limit}")]
    TooLarge {
        /// The size of the upload.
        size: usize,
        /// The largest size accepted.
        limit: usize,
    },
    /// The bytes are not a picture in a format read here (JPEG, PNG, WebP,
    /// GIF, BMP), or the picture is damaged or cut short.
    #[error("the file is not a readable picture")]
    NotImage,
    /// The picture is narrower or lower than [`MIN_SIDE`]; WhatsApp rejects
    /// group photos that small.
    #[error("the picture is {width}x{height} pixels, smaller than {MIN_SIDE} on a side")]
    TooSmall {
        /// The width of the picture, in pixels.
        width: u32,
        /// The height of the picture, in pixels.
        height: u32,
    },
    /// The picture claims more than [`MAX_SIDE`] pixels on a side, or more
    /// memory to decode than is allowed, however small the file.
    #[error("the picture is too large in pixels to decode")]
    Dimensions,
}

impl Error {
    /// The catalog message id that explains this reason to the user.
    pub fn message_id(&self) -> &'static str {
        match self {
            Self::Empty => "input-photo-empty",
            Self::TooLarge { .. } => "input-photo-too-large",
            Self::NotImage => "input-photo-not-image",
            Self::TooSmall { .. } => "input-photo-too-small",
            Self::Dimensions => "input-photo-dimensions",
        }
    }

    /// The catalog message's variables, as text. Byte sizes are in whole
    /// binary units ("640 KB", "5 MB"), so no language has to choose a
    /// decimal separator; `size` rounds up and `limit` down, so the size
    /// always reads as more than the limit. Sides are plain numbers, with
    /// `min` and `max` the bounds of [`MIN_SIDE`] and [`MAX_SIDE`].
    pub fn args(&self) -> Vec<(&'static str, String)> {
        match self {
            Self::Empty | Self::NotImage => Vec::new(),
            Self::TooLarge { size, limit } => vec![
                ("size", byte_size(*size, true)),
                ("limit", byte_size(*limit, false)),
            ],
            Self::TooSmall { width, height } => vec![
                ("width", width.to_string()),
                ("height", height.to_string()),
                ("min", MIN_SIDE.to_string()),
            ],
            Self::Dimensions => vec![("max", MAX_SIDE.to_string())],
        }
    }
}

/// The result of making a group photo.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A [`SIDE`] × [`SIDE`] JPEG made from the picture in `bytes`, an upload
/// of at most `limit` bytes in JPEG, PNG, WebP, GIF (its first frame) or
/// BMP.
///
/// The picture is turned upright by its EXIF orientation, cut to the
/// largest square around its centre (its shorter side long), scaled, and
/// laid on white where it was transparent, since JPEG has no transparency and black (what
/// dropping alpha would give) turns a logo into a dark blot.
pub fn square_jpeg(bytes: &[u8], limit: usize) -> Result<Vec<u8>> {
    // The size is judged before anything else so an oversized upload costs
    // no decoding work.
    if bytes.len() > limit {
        return Err(Error::TooLarge {
            size: bytes.len(),
            limit,
        });
    }
    if bytes.is_empty() {
        return Err(Error::Empty);
    }
    let (picture, orientation) = decode(bytes)?;
    let (width, height) = (picture.width(), picture.height());
    let side = width.min(height);
    let square = if width == height {
        picture
    } else {
        picture.crop_imm((width - side) / 2, (height - side) / 2, side, side)
    };
    let flat = flatten(square);
    let mut photo = DynamicImage::ImageRgb8(imageops::resize(&flat, SIDE, SIDE, FILTER));
    drop(flat);
    // Every orientation maps the centre square onto the centre square, so
    // turning the small result gives what turning the upload first would,
    // without copying the full-size picture.
    photo.apply_orientation(orientation);
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, QUALITY)
        .encode_image(&photo)
        // Encoding 8-bit RGB of a fixed size into memory has no way to
        // fail; should it, the user can only be told to try another file.
        .map_err(|_| Error::NotImage)?;
    Ok(jpeg)
}

/// The picture in `bytes` and the EXIF orientation it is stored in, decoded
/// under [`limits`] after its size has been checked against [`MIN_SIDE`].
fn decode(bytes: &[u8]) -> Result<(DynamicImage, Orientation)> {
    // The format comes from the content alone: file names and MIME types
    // from Telegram clients are often missing or wrong.
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| Error::NotImage)?;
    if reader.format().is_none() {
        return Err(Error::NotImage);
    }
    reader.limits(limits());
    // Reading the header alone checks the sides against the limits, and
    // lets a tiny picture be refused before its pixels are decoded.
    let mut decoder = reader.into_decoder().map_err(decoding)?;
    let (width, height) = decoder.dimensions();
    if width < MIN_SIDE || height < MIN_SIDE {
        return Err(Error::TooSmall { width, height });
    }
    // The decoder checks only the sides; the pixel buffer it is about to
    // fill (16-bit colour doubles it) is checked here.
    limits().reserve(decoder.total_bytes()).map_err(decoding)?;
    // A damaged EXIF block is no reason to refuse an otherwise fine photo.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let picture = DynamicImage::from_decoder(decoder).map_err(decoding)?;
    Ok((picture, orientation))
}

/// The limits every upload is decoded under.
fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    limits
}

/// The reason to give for a failure while decoding.
fn decoding(error: ImageError) -> Error {
    match error {
        ImageError::Limits(_) => Error::Dimensions,
        _ => Error::NotImage,
    }
}

/// `picture` as 8-bit RGB, laid on white where it has transparency.
fn flatten(picture: DynamicImage) -> RgbImage {
    if !picture.color().has_alpha() {
        return picture.into_rgb8();
    }
    let rgba = picture.into_rgba8();
    let mut rgb = RgbImage::new(rgba.width(), rgba.height());
    for (out, pixel) in rgb.pixels_mut().zip(rgba.pixels()) {
        let [red, green, blue, alpha] = pixel.0;
        *out = Rgb([red, green, blue].map(|channel| over_white(channel, alpha)));
    }
    rgb
}

/// A colour `channel` with opacity `alpha` over a white background.
fn over_white(channel: u8, alpha: u8) -> u8 {
    let (channel, alpha) = (u32::from(channel), u32::from(alpha));
    let mixed = (channel * alpha + 255 * (255 - alpha) + 127) / 255;
    u8::try_from(mixed).unwrap_or(u8::MAX)
}

/// `bytes` in the largest binary unit it fills (B, KB, MB, GB, 1 KB being
/// 1024 bytes), as a whole number rounded up or down.
fn byte_size(bytes: usize, round_up: bool) -> String {
    const UNITS: [&str; 4] = ["B", "KB", "MB", "GB"];
    let bytes = bytes as u128;
    let mut unit = 0;
    let mut scale: u128 = 1;
    while unit + 1 < UNITS.len() && bytes >= scale * 1024 {
        unit += 1;
        scale *= 1024;
    }
    let mut value = if round_up {
        bytes.div_ceil(scale)
    } else {
        bytes / scale
    };
    // Rounding up can reach the next unit: 1048575 bytes are 1 MB, not
    // 1024 KB.
    if value == 1024 && unit + 1 < UNITS.len() {
        unit += 1;
        value = 1;
    }
    format!("{value} {}", UNITS[unit])
}

#[cfg(test)]
mod tests;
