use super::*;
use image::codecs::gif::GifEncoder;
use image::{
    Delay, Frame, GenericImageView, ImageBuffer, ImageEncoder, ImageFormat, LumaA, Rgba, RgbaImage,
};
use proptest::prelude::*;

const RED: [u8; 3] = [255, 0, 0];
const GREEN: [u8; 3] = [0, 255, 0];
const BLUE: [u8; 3] = [0, 0, 255];
const WHITE: [u8; 3] = [255, 255, 255];

/// Generous, since JPEG blurs colour (chroma subsampling) and the filter
/// rings a little at edges.
const TOLERANCE: u8 = 48;

/// `picture` encoded in `format` by the image crate itself.
fn encoded(picture: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = Vec::new();
    picture
        .write_to(&mut Cursor::new(&mut bytes), format)
        .unwrap();
    bytes
}

/// A picture in three equal bands of red, green and blue, left to right
/// when `wide`, else top to bottom.
fn bands(width: u32, height: u32, wide: bool) -> RgbaImage {
    ImageBuffer::from_fn(width, height, |x, y| {
        let (at, length) = if wide { (x, width) } else { (y, height) };
        let [r, g, b] = match at * 3 / length {
            0 => RED,
            1 => GREEN,
            _ => BLUE,
        };
        Rgba([r, g, b, 255])
    })
}

/// A picture of `width` × `height` in one colour.
fn plain(width: u32, height: u32, colour: [u8; 3]) -> DynamicImage {
    let [r, g, b] = colour;
    DynamicImage::ImageRgb8(RgbImage::from_pixel(width, height, Rgb([r, g, b])))
}

/// The made photo, checked to be a JPEG of `SIDE` × `SIDE`, decoded.
fn made(bytes: &[u8]) -> RgbImage {
    let jpeg = square_jpeg(bytes, bytes.len()).unwrap();
    assert_eq!(image::guess_format(&jpeg).unwrap(), ImageFormat::Jpeg);
    let photo = image::load_from_memory(&jpeg).unwrap();
    assert_eq!(photo.dimensions(), (SIDE, SIDE));
    photo.into_rgb8()
}

/// Whether `pixel` of `photo` is close to `colour`.
fn near(photo: &RgbImage, (x, y): (u32, u32), colour: [u8; 3]) -> bool {
    photo
        .get_pixel(x, y)
        .0
        .iter()
        .zip(colour)
        .all(|(got, want)| got.abs_diff(want) <= TOLERANCE)
}

/// Asserts that the corners, the middles of the edges and the centre of
/// `photo` are all near `colour`.
fn assert_all(photo: &RgbImage, colour: [u8; 3]) {
    let (low, mid, high) = (2, SIDE / 2, SIDE - 3);
    for at in [
        (low, low),
        (high, low),
        (low, high),
        (high, high),
        (mid, low),
        (mid, high),
        (low, mid),
        (high, mid),
        (mid, mid),
    ] {
        assert!(
            near(photo, at, colour),
            "{at:?} is {:?}, not near {colour:?}",
            photo.get_pixel(at.0, at.1)
        );
    }
}

/// The CRC-32 PNG chunks carry.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG that is only a header claiming `width` × `height` pixels of
/// `bit_depth`-bit RGBA, followed by a scrap of pixel data and the end.
fn png_header(width: u32, height: u32, bit_depth: u8) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        png.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        png.extend_from_slice(&body);
        png.extend_from_slice(&crc32(&body).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    // Bit depth, colour type 6 (RGBA), compression, filter, no interlace.
    ihdr.extend_from_slice(&[bit_depth, 6, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    // The start of a zlib stream: the decoder is set up on the first
    // IDAT chunk, and the limits have to stop it before the pixels.
    chunk(b"IDAT", &[0x78, 0x9C, 0x01]);
    chunk(b"IEND", &[]);
    png
}

/// A BMP that is only a header claiming `width` × `height` pixels of 24-bit
/// colour, followed by a few bytes.
fn bmp_header(width: i32, height: i32) -> Vec<u8> {
    let mut bmp = b"BM".to_vec();
    bmp.extend_from_slice(&64u32.to_le_bytes()); // file size
    bmp.extend_from_slice(&[0; 4]); // reserved
    bmp.extend_from_slice(&54u32.to_le_bytes()); // pixel data offset
    bmp.extend_from_slice(&40u32.to_le_bytes()); // BITMAPINFOHEADER
    bmp.extend_from_slice(&width.to_le_bytes());
    bmp.extend_from_slice(&height.to_le_bytes());
    bmp.extend_from_slice(&1u16.to_le_bytes()); // planes
    bmp.extend_from_slice(&24u16.to_le_bytes()); // bits per pixel
    bmp.extend_from_slice(&[0; 24]); // no compression, sizes, palette
    bmp.extend_from_slice(&[0; 10]);
    bmp
}

/// A minimal big-endian EXIF (TIFF) block with only an orientation.
fn exif_orientation(value: u16) -> Vec<u8> {
    let mut exif = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
    exif.extend_from_slice(&1u16.to_be_bytes()); // one entry
    exif.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    exif.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    exif.extend_from_slice(&1u32.to_be_bytes()); // one value
    exif.extend_from_slice(&value.to_be_bytes());
    exif.extend_from_slice(&[0, 0]); // padding of the value field
    exif.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    exif
}

#[test]
fn wide_png_with_transparency() {
    // Thirds of 1800 are 600 wide, so the centre square is exactly the
    // green band; around its centre is a hole that is transparent black.
    let mut picture = bands(1800, 600, true);
    for (x, y, pixel) in picture.enumerate_pixels_mut() {
        if x.abs_diff(900) < 60 && y.abs_diff(300) < 60 {
            *pixel = Rgba([0, 0, 0, 0]);
        }
    }
    let photo = made(&encoded(
        &DynamicImage::ImageRgba8(picture),
        ImageFormat::Png,
    ));
    // Transparent shows as white, not black.
    assert!(near(&photo, (SIDE / 2, SIDE / 2), WHITE));
    for at in [
        (2, 2),
        (SIDE - 3, 2),
        (2, SIDE - 3),
        (SIDE - 3, SIDE - 3),
        (SIDE / 2, 40),
        (40, SIDE / 2),
    ] {
        assert!(
            near(&photo, at, GREEN),
            "{at:?} is {:?}",
            photo.get_pixel(at.0, at.1)
        );
    }
}

#[test]
fn wide_crop_keeps_the_middle() {
    // Thirds of 1200 are 400 wide and the square 600, so the square shows
    // the last 100 columns of red, all of green and 100 columns of blue.
    let photo = made(&encoded(
        &DynamicImage::ImageRgba8(bands(1200, 600, true)),
        ImageFormat::Png,
    ));
    assert!(near(&photo, (SIDE / 2, SIDE / 2), GREEN));
    assert!(near(&photo, (SIDE / 2, 2), GREEN));
    assert!(near(&photo, (2, SIDE / 2), RED));
    assert!(near(&photo, (SIDE - 3, SIDE / 2), BLUE));
    assert!(near(&photo, (120, SIDE / 2), GREEN));
    assert!(near(&photo, (SIDE - 121, SIDE / 2), GREEN));
}

#[test]
fn tall_jpeg() {
    let picture = DynamicImage::ImageRgba8(bands(600, 1800, false)).into_rgb8();
    let photo = made(&encoded(
        &DynamicImage::ImageRgb8(picture),
        ImageFormat::Jpeg,
    ));
    assert_all(&photo, GREEN);
}

#[test]
fn webp() {
    let picture = DynamicImage::ImageRgba8(bands(1500, 500, true));
    assert_all(&made(&encoded(&picture, ImageFormat::WebP)), GREEN);
}

#[test]
fn bmp() {
    let picture = plain(200, 250, BLUE);
    assert_all(&made(&encoded(&picture, ImageFormat::Bmp)), BLUE);
}

#[test]
fn gif_first_frame() {
    let mut gif = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut gif);
        let frames = [RED, BLUE].map(|[r, g, b]| {
            Frame::from_parts(
                RgbaImage::from_pixel(300, 200, Rgba([r, g, b, 255])),
                0,
                0,
                Delay::from_numer_denom_ms(100, 1),
            )
        });
        encoder.encode_frames(frames).unwrap();
    }
    assert_all(&made(&gif), RED);
}

#[test]
fn transparent_grey_png_is_white() {
    let picture = DynamicImage::ImageLumaA8(ImageBuffer::from_pixel(300, 300, LumaA([0, 0])));
    assert_all(&made(&encoded(&picture, ImageFormat::Png)), WHITE);
}

#[test]
fn half_transparent_16_bit_png() {
    let picture = DynamicImage::ImageRgba16(ImageBuffer::from_pixel(
        400,
        300,
        Rgba([0, 0, u16::MAX, u16::MAX / 2]),
    ));
    // Half blue over white.
    assert_all(&made(&encoded(&picture, ImageFormat::Png)), [128, 128, 255]);
}

#[test]
fn exif_orientation_is_applied() {
    // Stored with red on the left and blue on the right; orientation 6
    // says the camera was turned, and upright the left side is the top.
    let picture = RgbImage::from_fn(400, 400, |x, _| Rgb(if x < 200 { RED } else { BLUE }));
    let mut jpeg = Vec::new();
    let mut encoder = JpegEncoder::new_with_quality(&mut jpeg, 95);
    encoder.set_exif_metadata(exif_orientation(6)).unwrap();
    encoder
        .write_image(picture.as_raw(), 400, 400, image::ExtendedColorType::Rgb8)
        .unwrap();
    let photo = made(&jpeg);
    assert!(near(&photo, (SIDE / 2, 40), RED));
    assert!(near(&photo, (SIDE / 2, SIDE - 41), BLUE));
    assert!(near(&photo, (40, 40), RED));
    assert!(near(&photo, (SIDE - 41, 40), RED));
}

#[test]
fn damaged_exif_is_ignored() {
    let mut jpeg = Vec::new();
    let mut encoder = JpegEncoder::new_with_quality(&mut jpeg, 90);
    encoder
        .set_exif_metadata(b"MM\x00\x2a\xff".to_vec())
        .unwrap();
    encoder
        .write_image(
            plain(300, 300, GREEN).as_bytes(),
            300,
            300,
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    assert_all(&made(&jpeg), GREEN);
}

#[test]
fn smallest_sides_accepted() {
    for (width, height) in [(MIN_SIDE, MIN_SIDE), (MIN_SIDE, 1000), (SIDE, SIDE)] {
        made(&encoded(&plain(width, height, RED), ImageFormat::Png));
    }
}

#[test]
fn refuses_bad_uploads() {
    let png = encoded(&plain(400, 300, RED), ImageFormat::Png);
    let noise = DynamicImage::ImageRgb8(RgbImage::from_fn(400, 400, |x, y| {
        let v = x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503);
        let [a, b, c, _] = v.to_le_bytes();
        Rgb([a, b, c])
    }));
    let noisy_png = encoded(&noise, ImageFormat::Png);
    let cases: Vec<(Vec<u8>, usize, Error)> = vec![
        (Vec::new(), 10, Error::Empty),
        (Vec::new(), 0, Error::Empty),
        (
            b"hello, this is not a picture".to_vec(),
            100,
            Error::NotImage,
        ),
        ((0..=255).collect(), 1000, Error::NotImage),
        (b"\x89PNG\r\n\x1a\n".to_vec(), 100, Error::NotImage),
        (
            noisy_png[..noisy_png.len() / 2].to_vec(),
            usize::MAX,
            Error::NotImage,
        ),
        (noisy_png[..40].to_vec(), usize::MAX, Error::NotImage),
        // A TIFF: recognised, but not a format read here.
        (b"II*\x00\x08\x00\x00\x00".to_vec(), 100, Error::NotImage),
        (
            encoded(&plain(100, 100, RED), ImageFormat::Png),
            usize::MAX,
            Error::TooSmall {
                width: 100,
                height: 100,
            },
        ),
        (
            encoded(&plain(MIN_SIDE - 1, 500, RED), ImageFormat::Jpeg),
            usize::MAX,
            Error::TooSmall {
                width: MIN_SIDE - 1,
                height: 500,
            },
        ),
        (
            encoded(&plain(2000, 150, RED), ImageFormat::Gif),
            usize::MAX,
            Error::TooSmall {
                width: 2000,
                height: 150,
            },
        ),
        (
            png.clone(),
            png.len() - 1,
            Error::TooLarge {
                size: png.len(),
                limit: png.len() - 1,
            },
        ),
        // Size comes first: these would be refused for other reasons.
        (
            b"not a picture".to_vec(),
            5,
            Error::TooLarge { size: 13, limit: 5 },
        ),
        (
            png_header(100_000, 100_000, 8),
            10,
            Error::TooLarge {
                size: 60,
                limit: 10,
            },
        ),
        (b"x".to_vec(), 0, Error::TooLarge { size: 1, limit: 0 }),
        // Headers claiming enormous pictures, refused before allocating.
        (
            png_header(100_000, 100_000, 8),
            usize::MAX,
            Error::Dimensions,
        ),
        (
            png_header(MAX_SIDE + 1, 300, 8),
            usize::MAX,
            Error::Dimensions,
        ),
        (
            png_header(300, u32::MAX >> 1, 8),
            usize::MAX,
            Error::Dimensions,
        ),
        // Within the sides, but 16-bit RGBA would take 512 MiB.
        (
            png_header(MAX_SIDE, MAX_SIDE, 16),
            usize::MAX,
            Error::Dimensions,
        ),
        (bmp_header(60_000, 60_000), usize::MAX, Error::Dimensions),
        (bmp_header(60_000, -60_000), usize::MAX, Error::Dimensions),
        // The BMP decoder refuses sides above 65535 itself, as damage.
        (bmp_header(100_000, 100_000), usize::MAX, Error::NotImage),
    ];
    for (bytes, limit, expected) in cases {
        assert_eq!(
            // The length only, so a wrong success prints no wall of bytes.
            square_jpeg(&bytes, limit).map(|jpeg| jpeg.len()),
            Err(expected.clone()),
            "expected {expected:?} for {:?}",
            &bytes[..bytes.len().min(24)]
        );
    }
    assert!(square_jpeg(&png, png.len()).is_ok());
}

#[test]
fn refuses_a_jpeg_claiming_huge_sides() {
    // Patch the frame header (SOF0) of a real JPEG to claim 60000 × 60000.
    let mut jpeg = encoded(&plain(300, 300, RED), ImageFormat::Jpeg);
    let sof = jpeg
        .windows(2)
        .position(|pair| pair == [0xFF, 0xC0])
        .unwrap();
    jpeg[sof + 5..sof + 9].copy_from_slice(&[0xEA, 0x60, 0xEA, 0x60]);
    assert_eq!(square_jpeg(&jpeg, usize::MAX), Err(Error::Dimensions));
}

#[test]
fn message_ids() {
    let errors = [
        Error::Empty,
        Error::TooLarge { size: 2, limit: 1 },
        Error::NotImage,
        Error::TooSmall {
            width: 1,
            height: 1,
        },
        Error::Dimensions,
    ];
    assert_eq!(
        errors.map(|e| e.message_id()),
        [
            "input-photo-empty",
            "input-photo-too-large",
            "input-photo-not-image",
            "input-photo-too-small",
            "input-photo-dimensions",
        ]
    );
    assert_eq!(
        Error::TooSmall {
            width: 100,
            height: 150
        }
        .to_string(),
        "the picture is 100x150 pixels, smaller than 192 on a side"
    );
}

#[test]
fn args() {
    let strings = |args: Vec<(&'static str, String)>| -> Vec<(&'static str, String)> { args };
    let pairs = |pairs: &[(&'static str, &str)]| -> Vec<(&'static str, String)> {
        pairs
            .iter()
            .map(|(name, value)| (*name, (*value).to_owned()))
            .collect()
    };
    assert_eq!(strings(Error::Empty.args()), Vec::new());
    assert_eq!(strings(Error::NotImage.args()), Vec::new());
    assert_eq!(
        Error::TooLarge {
            size: 5 * 1024 * 1024 + 1,
            limit: 5 * 1024 * 1024
        }
        .args(),
        pairs(&[("size", "6 MB"), ("limit", "5 MB")])
    );
    assert_eq!(
        Error::TooLarge {
            size: 700_000,
            limit: 512 * 1024
        }
        .args(),
        pairs(&[("size", "684 KB"), ("limit", "512 KB")])
    );
    assert_eq!(
        Error::TooSmall {
            width: 100,
            height: 150
        }
        .args(),
        pairs(&[("width", "100"), ("height", "150"), ("min", "192")])
    );
    assert_eq!(Error::Dimensions.args(), pairs(&[("max", "8192")]));
}

#[test]
fn byte_sizes() {
    let cases: &[(usize, bool, &str)] = &[
        (0, true, "0 B"),
        (0, false, "0 B"),
        (1023, true, "1023 B"),
        (1024, true, "1 KB"),
        (1025, true, "2 KB"),
        (1025, false, "1 KB"),
        (1536, false, "1 KB"),
        (1024 * 1024 - 1, true, "1 MB"),
        (1024 * 1024 - 1, false, "1023 KB"),
        (20 * 1024 * 1024, true, "20 MB"),
        (20 * 1024 * 1024, false, "20 MB"),
        (3 * 1024 * 1024 * 1024, false, "3 GB"),
        (5000 * 1024 * 1024 * 1024, true, "5000 GB"),
    ];
    for (bytes, up, want) in cases {
        assert_eq!(byte_size(*bytes, *up), *want, "{bytes} up: {up}");
    }
}

#[test]
fn over_white_blends() {
    assert_eq!(over_white(0, 255), 0);
    assert_eq!(over_white(200, 255), 200);
    assert_eq!(over_white(0, 0), 255);
    assert_eq!(over_white(0, 128), 127);
    assert_eq!(over_white(255, 77), 255);
}

/// Small valid pictures in every format read here, for the fuzzing below
/// to damage.
fn samples() -> Vec<Vec<u8>> {
    let picture = DynamicImage::ImageRgba8(bands(200, 200, true));
    [
        ImageFormat::Png,
        ImageFormat::Jpeg,
        ImageFormat::WebP,
        ImageFormat::Gif,
        ImageFormat::Bmp,
    ]
    .iter()
    .map(|format| {
        let picture = if *format == ImageFormat::Jpeg {
            DynamicImage::ImageRgb8(picture.to_rgb8())
        } else {
            picture.clone()
        };
        encoded(&picture, *format)
    })
    .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..4096), limit in 0usize..5000) {
        let _ = square_jpeg(&bytes, limit);
    }

    #[test]
    fn never_panics_on_magic(
        magic in prop_oneof![
            Just(&b"\x89PNG\r\n\x1a\n"[..]),
            Just(&b"\xFF\xD8\xFF"[..]),
            Just(&b"GIF89a"[..]),
            Just(&b"BM"[..]),
        ],
        rest in proptest::collection::vec(any::<u8>(), 0..4096),
    ) {
        let mut bytes = magic.to_vec();
        bytes.extend_from_slice(&rest);
        let _ = square_jpeg(&bytes, usize::MAX);
    }

    #[test]
    fn damaged_pictures_never_panic(
        which in 0usize..5,
        damage in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = samples().swap_remove(which);
        for (at, value) in damage {
            let at = at.index(bytes.len());
            bytes[at] = value;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        match square_jpeg(&bytes, usize::MAX) {
            Ok(jpeg) => {
                let photo = image::load_from_memory(&jpeg).unwrap();
                prop_assert_eq!(photo.dimensions(), (SIDE, SIDE));
            }
            Err(error) => {
                // A picture cut down to nothing is empty, and said so.
                let expected = match error {
                    Error::Empty => bytes.is_empty(),
                    Error::NotImage | Error::TooSmall { .. } | Error::Dimensions => true,
                    _ => false,
                };
                prop_assert!(expected, "unexpected {:?}", error);
            }
        }
    }
}
