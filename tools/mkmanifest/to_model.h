// libcapnp SystemManifest reader -> lib/manifest model, so mkmanifest runs
// exactly the validator that init and the kernel run. The model borrows
// names from the message; ModelStorage owns the lists the model spans.
#pragma once

#include <vector>

#include "capnp/manifest.capnp.h"
#include "lib/manifest/model.h"

namespace capos::mkmanifest {

struct ModelStorage {
  std::vector<manifest::BinaryDecl> binaries;
  std::vector<manifest::CapDecl> init_caps;
  std::vector<manifest::ServiceDecl> services;
  std::vector<std::vector<manifest::CapDecl>> service_caps;
  std::vector<std::vector<manifest::ExportDecl>> service_exports;
  std::vector<std::vector<StrView>> service_env;
  std::vector<manifest::DeviceMatchDecl> device_matches;
  std::vector<StrView> dir_paths;
};

// `reader` and `storage` must outlive the returned model.
manifest::Manifest to_model(schema::SystemManifest::Reader reader, ModelStorage& storage);

}  // namespace capos::mkmanifest
