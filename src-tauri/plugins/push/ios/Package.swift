// swift-tools-version:5.5
// Herald's phone push, iOS side: a static library Tauri's iOS project links (`tauri ios
// build` finds it through the plugin's build.rs).

import PackageDescription

let package = Package(
  name: "tauri-plugin-herald-push",
  platforms: [
    .iOS(.v13)
  ],
  products: [
    .library(
      name: "tauri-plugin-herald-push",
      type: .static,
      targets: ["tauri-plugin-herald-push"])
  ],
  dependencies: [
    .package(name: "Tauri", path: "../.tauri/tauri-api")
  ],
  targets: [
    .target(
      name: "tauri-plugin-herald-push",
      dependencies: [
        .byName(name: "Tauri")
      ],
      path: "Sources")
  ]
)
