// Config's readers of a program's command line (--master, --conf, --worker,
// --driver, --cores, --properties-file) and of properties files.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>

#include "runtime/base/config.hpp"
#include "runtime/base/errors.hpp"

namespace rill {

Config& Config::load_properties_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw ConfigError("properties file '" + path + "' is a directory, not a file");
  std::ifstream in(path);
  if (!in) throw ConfigError("cannot read properties file '" + path + "': " + std::strerror(errno));
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#' || line[first] == '!') continue;
    auto sep = line.find_first_of("= \t", first);
    if (sep == std::string::npos)
      throw ConfigError("properties file '" + path + "' line " + std::to_string(number) +
                        ": expected key=value");
    std::string key = line.substr(first, sep - first);
    auto vstart = line.find_first_not_of(" \t=", sep);
    std::string value = vstart == std::string::npos ? "" : line.substr(vstart);
    while (!value.empty() && (value.back() == '\r' || value.back() == ' ' || value.back() == '\t'))
      value.pop_back();
    set(key, value);
  }
  return *this;
}

namespace {

// Walks argv; calls on_option(name, value) for Rill's options and on_other for
// everything else. Options taking a value accept "--opt v" and "--opt=v".
void scan_args(int argc, char** argv,
               const std::function<void(const std::string&, const std::string&)>& on_option,
               const std::function<void(const std::string&)>& on_other) {
  static const std::vector<std::string> with_value = {"--master", "--conf", "--driver", "--cores",
                                                      "--properties-file"};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--worker") {
      on_option(a, "");
      continue;
    }
    bool handled = false;
    for (const auto& opt : with_value) {
      if (a == opt) {
        if (i + 1 >= argc) throw ConfigError("option " + opt + " needs a value");
        on_option(opt, argv[++i]);
        handled = true;
      } else if (a.rfind(opt + "=", 0) == 0) {
        on_option(opt, a.substr(opt.size() + 1));
        handled = true;
      }
      if (handled) break;
    }
    if (!handled) on_other(a);
  }
}

}  // namespace

Config Config::from_args(int argc, char** argv) {
  Config c;
  scan_args(
      argc, argv,
      [&](const std::string& opt, const std::string& v) {
        if (opt == "--master") {
          c.set_master(v);
        } else if (opt == "--conf") {
          auto eq = v.find('=');
          if (eq == std::string::npos || eq == 0)
            throw ConfigError("--conf expects key=value, got '" + v + "'");
          c.set(v.substr(0, eq), v.substr(eq + 1));
        } else if (opt == "--worker") {
          c.worker_ = true;
        } else if (opt == "--driver") {
          c.driver_address_ = v;
        } else if (opt == "--cores") {
          int64_t n = 0;
          if (!parse_whole_number(v, n) || n < 1 || n > Config::max_local_cores())
            throw ConfigError("--cores takes a whole number from 1 to " + std::to_string(Config::max_local_cores()) +
                              ", got '" + v + "'");
          c.worker_cores_ = static_cast<int>(n);
        } else if (opt == "--properties-file") {
          c.load_properties_file(v);
        }
      },
      [](const std::string&) {});
  return c;
}

std::vector<std::string> Config::app_arguments(int argc, char** argv) {
  std::vector<std::string> rest;
  scan_args(
      argc, argv, [](const std::string&, const std::string&) {},
      [&](const std::string& a) { rest.push_back(a); });
  return rest;
}

}  // namespace rill
