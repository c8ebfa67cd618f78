# Run by the build (cmake -P, see CMakeLists.txt): writes OUTPUT, a C++ file defining
# tollbooth::gateway::dashboard_assets() as a table of every file in DIR (the dashboard that
# ui/build.mjs bundled): its name, content type, bytes and an ETag (a hash of the bytes), so the
# binary serves the dashboard with no files beside it.
file(GLOB files RELATIVE "${DIR}" "${DIR}/*")
list(SORT files)
set(arrays "")
set(rows "")
set(i 0)
foreach(name IN LISTS files)
  if(IS_DIRECTORY "${DIR}/${name}")
    continue()
  endif()
  if(NOT name MATCHES "^[A-Za-z0-9._-]+$")
    message(FATAL_ERROR "embed_assets: unexpected file name ${name}")
  endif()
  file(READ "${DIR}/${name}" hex HEX)
  file(SHA256 "${DIR}/${name}" sha)
  string(SUBSTRING "${sha}" 0 16 etag)
  string(LENGTH "${hex}" hex_length)
  math(EXPR size "${hex_length} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  if(name MATCHES "\\.html$")
    set(type "text/html; charset=utf-8")
  elseif(name MATCHES "\\.js$")
    set(type "text/javascript; charset=utf-8")
  elseif(name MATCHES "\\.css$")
    set(type "text/css; charset=utf-8")
  elseif(name MATCHES "\\.svg$")
    set(type "image/svg+xml")
  elseif(name MATCHES "\\.png$")
    set(type "image/png")
  else()
    message(FATAL_ERROR "embed_assets: no content type known for ${name}")
  endif()
  string(APPEND arrays "constexpr unsigned char k${i}[${size}] = {${bytes}};\n")
  string(APPEND rows "    {\"${name}\", \"${type}\", {reinterpret_cast<const char*>(k${i}), ${size}}, \"\\\"${etag}\\\"\"},\n")
  math(EXPR i "${i} + 1")
endforeach()
if(i EQUAL 0)
  message(FATAL_ERROR "embed_assets: ${DIR} holds no files (did ui/build.mjs run?)")
endif()
set(text "// Generated from ${DIR} by cmake/embed_assets.cmake; do not edit.
#include <span>

#include \"gateway/dashboard.hpp\"

namespace tollbooth::gateway {
namespace {
${arrays}
const DashboardAsset kAssets[] = {
${rows}};
}  // namespace

std::span<const DashboardAsset> dashboard_assets() noexcept { return kAssets; }

}  // namespace tollbooth::gateway
")
file(WRITE "${OUTPUT}.tmp" "${text}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
