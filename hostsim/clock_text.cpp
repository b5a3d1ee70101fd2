// Implementation of clock_text.h (civil-date weekday computation, no <ctime> time zones).
#include "hostsim/clock_text.h"

#include <fmt/format.h>

#include "hostsim/text_util.h"

namespace aimicius::hostsim {
namespace {

struct CivilTime {
  int year = 1970, month = 1, day = 1;
  std::string hms = "00:00:00";
  std::string millis = "000";
};

CivilTime parse_iso(const std::string& iso) {
  CivilTime t;
  t.year = static_cast<int>(parse_long(iso.substr(0, 4)).value_or(1970));
  t.month = static_cast<int>(parse_long(iso.substr(5, 2)).value_or(1));
  t.day = static_cast<int>(parse_long(iso.substr(8, 2)).value_or(1));
  if (iso.size() >= 19) t.hms = iso.substr(11, 8);
  if (iso.size() >= 23 && iso[19] == '.') t.millis = iso.substr(20, 3);
  return t;
}

// 0 = Sunday (Sakamoto's method).
int weekday(int y, int m, int d) {
  static const int offsets[] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
  if (m < 3) y -= 1;
  return (y + y / 4 - y / 100 + y / 400 + offsets[m - 1] + d) % 7;
}

}  // namespace

std::string ctime_style(const std::string& iso) {
  static const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto t = parse_iso(iso);
  return fmt::format("{} {} {:2} {} {}", days[weekday(t.year, t.month, t.day)], months[(t.month + 11) % 12],
                     t.day, t.hms, t.year);
}

std::string slash_style(const std::string& iso) {
  const auto t = parse_iso(iso);
  return fmt::format("{:04}/{:02}/{:02} {}.{}", t.year, t.month, t.day, t.hms, t.millis);
}

std::string time_of_day(const std::string& iso) { return parse_iso(iso).hms; }

std::string date_compact(const std::string& iso) {
  const auto t = parse_iso(iso);
  return fmt::format("{:04}{:02}{:02}", t.year, t.month, t.day);
}

}  // namespace aimicius::hostsim
