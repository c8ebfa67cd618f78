#include "gateway/image_fetch.hpp"

#include <gtest/gtest.h>

namespace tollbooth::gateway {
namespace {

using namespace std::string_view_literals;

TEST(ImageFetch, FormatFromContentTypeParametersIgnored) {
  EXPECT_EQ(image_format("image/png", ""), "png");
  EXPECT_EQ(image_format("image/jpeg; charset=binary", ""), "jpeg");
  EXPECT_EQ(image_format("image/gif", ""), "gif");
  EXPECT_EQ(image_format("image/webp", ""), "webp");
}

TEST(ImageFetch, FormatFromMagicBytesWhenTheServerSaysOctetStream) {
  EXPECT_EQ(image_format("application/octet-stream", "\x89PNG\r\n\x1a\n...."sv), "png");
  EXPECT_EQ(image_format("", "\xff\xd8\xff\xe0...."sv), "jpeg");
  EXPECT_EQ(image_format("", "GIF89a...."sv), "gif");
  EXPECT_EQ(image_format("", "RIFF\x10\0\0\0WEBPVP8 "sv), "webp");
}

TEST(ImageFetch, NotAnImageHasNoFormat) {
  EXPECT_EQ(image_format("text/html", "<html>"), "");
  EXPECT_EQ(image_format("image/svg+xml", "<svg/>"), "");
  EXPECT_EQ(image_format("", "RIFF\x10\0\0\0WAVE"sv), "");
}

}  // namespace
}  // namespace tollbooth::gateway
