# Sourced by setup.sh and fuzz.sh: the Debian packages qforge's build and tests need
# (third_party/README.md says what each one is for).
qforge_build_packages=(
  cmake ninja-build g++
  libonnx-dev libprotobuf-dev
  libdnnl-dev ocl-icd-opencl-dev
  libcli11-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  catch2 libonnx-testdata
  python3-onnx python3-numpy python3-jsonschema
  python3-pil fonts-dejavu-core
)
