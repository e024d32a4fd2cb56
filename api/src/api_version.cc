// Placeholder translation unit so hearth_api always has a source; replaced as api/ grows.
namespace hearth::api {
int ApiLibraryLinked() { return 1; }
}  // namespace hearth::api
