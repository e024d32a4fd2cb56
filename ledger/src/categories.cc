// The code tables of categories.h. Wire values are the enum values; this file only maps
// them to text and properties.
#include "hearth/ledger/categories.h"

#include <array>
#include <iterator>
#include <string>

namespace hearth {

namespace {

using C = Category;
using K = CategoryClass;
using R = AmountRule;
using A = Agency;

constexpr CategoryInfo kCategories[] = {
    {C::kWage, "wage", K::kIncome, R::kNonNegative, A::kTax},
    {C::kBusiness, "business", K::kIncome, R::kSigned, A::kTax},
    {C::kProperty, "property", K::kIncome, R::kSigned, A::kTax},
    {C::kPension, "pension", K::kIncome, R::kNonNegative, A::kSocialSecurity},
    {C::kUnemploymentBenefit, "unemployment_benefit", K::kIncome, R::kNonNegative,
     A::kSocialSecurity},
    {C::kSupportReceived, "support_received", K::kIncome, R::kNonNegative, A::kCivilAffairs},
    {C::kOtherTransfer, "other_transfer", K::kIncome, R::kNonNegative, A::kCivilAffairs},
    {C::kSupportPaid, "support_paid", K::kDeduction, R::kNonNegative, A::kCivilAffairs},
    {C::kDibaoBenefit, "dibao_benefit", K::kExcluded, R::kNonNegative, A::kCivilAffairs},
    {C::kDisabilitySubsidy, "disability_subsidy", K::kExcluded, R::kNonNegative,
     A::kDisabilityFederation},
    {C::kSpecialCare, "special_care", K::kExcluded, R::kNonNegative, A::kCivilAffairs},
    {C::kFamilyPlanningAward, "family_planning_award", K::kExcluded, R::kNonNegative,
     A::kCivilAffairs},
    {C::kScholarship, "scholarship", K::kExcluded, R::kNonNegative, A::kCivilAffairs},
    {C::kReward, "reward", K::kExcluded, R::kNonNegative, A::kCivilAffairs},
    {C::kSocialAssistance, "social_assistance", K::kExcluded, R::kNonNegative,
     A::kCivilAffairs},
    {C::kResidentBasicPension, "resident_basic_pension", K::kExcluded, R::kNonNegative,
     A::kSocialSecurity},
    {C::kHighAgeAllowance, "high_age_allowance", K::kExcluded, R::kNonNegative,
     A::kCivilAffairs},
    {C::kMedicalReimbursement, "medical_reimbursement", K::kExcluded, R::kNonNegative,
     A::kSocialSecurity},
    {C::kDisabilityStatus, "disability_status", K::kStatus, R::kZero, A::kDisabilityFederation},
    {C::kDeath, "death", K::kStatus, R::kZero, A::kCivilAffairs},
    {C::kDeposits, "deposits", K::kAsset, R::kNonNegative, A::kFinancial},
    {C::kVehicle, "vehicle", K::kAsset, R::kNonNegative, A::kPublicSecurity},
    {C::kRealEstate, "real_estate", K::kAsset, R::kNonNegative, A::kPropertyRegistry},
};
constexpr size_t kCategoryCount = std::size(kCategories);

struct AgencyRow {
  Agency agency;
  std::string_view code;
};
constexpr std::array<AgencyRow, 7> kAgencies = {{
    {A::kCivilAffairs, "civil_affairs"},
    {A::kTax, "tax"},
    {A::kSocialSecurity, "social_security"},
    {A::kDisabilityFederation, "disability_federation"},
    {A::kPublicSecurity, "public_security"},
    {A::kPropertyRegistry, "property_registry"},
    {A::kFinancial, "financial"},
}};

struct ProgrammeRow {
  Programme programme;
  std::string_view code;
};
constexpr std::array<ProgrammeRow, 6> kProgrammes = {{
    {Programme::kDibao, "dibao"},
    {Programme::kLowIncome, "low_income"},
    {Programme::kTekun, "tekun"},
    {Programme::kDisabilityLiving, "disability_living"},
    {Programme::kDisabilityNursing, "disability_nursing"},
    {Programme::kHeating, "heating"},
}};

constexpr bool CategoriesSorted() {
  for (size_t i = 1; i < kCategoryCount; ++i) {
    if (static_cast<uint16_t>(kCategories[i - 1].category) >=
        static_cast<uint16_t>(kCategories[i].category)) {
      return false;
    }
  }
  return true;
}
static_assert(CategoriesSorted(), "category table must be in strictly ascending wire order");

}  // namespace

std::span<const CategoryInfo> AllCategories() {
  return std::span<const CategoryInfo>(kCategories, kCategoryCount);
}

const CategoryInfo& InfoOf(Category c) {
  for (size_t i = 0; i < kCategoryCount; ++i) {
    if (kCategories[i].category == c) return kCategories[i];
  }
  HEARTH_CHECK_MSG(false, "InfoOf: unknown category");
  return kCategories[0];
}

std::string_view AgencyCode(Agency a) {
  for (const auto& row : kAgencies) {
    if (row.agency == a) return row.code;
  }
  return "unknown";
}

std::string_view CategoryCode(Category c) {
  for (size_t i = 0; i < kCategoryCount; ++i) {
    if (kCategories[i].category == c) return kCategories[i].code;
  }
  return "unknown";
}

std::string_view ProgrammeCode(Programme p) {
  for (const auto& row : kProgrammes) {
    if (row.programme == p) return row.code;
  }
  return "unknown";
}

Result<Agency> ParseAgency(std::string_view code) {
  for (const auto& row : kAgencies) {
    if (row.code == code) return row.agency;
  }
  return Status::InvalidArgument("unknown agency code '" + std::string(code) + "'");
}

Result<Category> ParseCategory(std::string_view code) {
  for (size_t i = 0; i < kCategoryCount; ++i) {
    if (kCategories[i].code == code) return kCategories[i].category;
  }
  return Status::InvalidArgument("unknown category code '" + std::string(code) + "'");
}

Result<Programme> ParseProgramme(std::string_view code) {
  for (const auto& row : kProgrammes) {
    if (row.code == code) return row.programme;
  }
  return Status::InvalidArgument("unknown programme code '" + std::string(code) + "'");
}

Result<Agency> AgencyFromWire(uint8_t v) {
  for (const auto& row : kAgencies) {
    if (static_cast<uint8_t>(row.agency) == v) return row.agency;
  }
  return Status::InvalidArgument("unknown agency value " + std::to_string(v));
}

Result<Category> CategoryFromWire(uint16_t v) {
  for (size_t i = 0; i < kCategoryCount; ++i) {
    if (static_cast<uint16_t>(kCategories[i].category) == v) return kCategories[i].category;
  }
  return Status::InvalidArgument("unknown category value " + std::to_string(v));
}

Result<Programme> ProgrammeFromWire(uint8_t v) {
  for (const auto& row : kProgrammes) {
    if (static_cast<uint8_t>(row.programme) == v) return row.programme;
  }
  return Status::InvalidArgument("unknown programme value " + std::to_string(v));
}

}  // namespace hearth
