// categories.h: the one place where agencies, attestation categories and programmes are
// named, with their stable wire values (docs/FORMAT.md "Codes").
//
// Contract:
//  - A wire value, once assigned, never changes meaning and is never reused. New codes are
//    appended; decoders reject values not in these tables.
//  - Text codes are lower_snake_case ASCII and are what JSON, the CLI and rule sets use.
//  - CategoryInfo::issuer is the agency that normally issues a category. It is advice for
//    tooling and rule sets, not a ledger rule: which issuers a check accepts is a property
//    of the rule set (verify/), so a later member (e.g. a bank) can issue `deposits`.
// Thread-safety: constant tables and pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "hearth/base/status.h"

namespace hearth {

// Agencies (u8 on the wire). The first four are the founding members; the others are
// assigned now so that records about their data have stable codes when they join.
enum class Agency : uint8_t {
  kCivilAffairs = 1,          // civil_affairs        民政
  kTax = 2,                   // tax                  税务
  kSocialSecurity = 3,        // social_security      人社
  kDisabilityFederation = 4,  // disability_federation 残联
  kPublicSecurity = 5,        // public_security      公安 (hukou, vehicles, deaths)
  kPropertyRegistry = 6,      // property_registry    不动产登记
  kFinancial = 7,             // financial            banks, securities firms, insurers
};

// How an attestation of a category is used by eligibility rules (docs/FORMAT.md "Codes").
enum class CategoryClass : uint8_t {
  kIncome = 1,     // counted income (wage, net business ...), amount = fen per month
  kDeduction = 2,  // deducted from counted income (support paid), fen per month
  kExcluded = 3,   // income by law not counted (assistance, subsidies ...), fen per month
  kStatus = 4,     // a status, amount must be 0 (disability grade, death)
  kAsset = 5,      // an asset holding; amount = value or balance in fen (0 when unknown)
};

// How the amount of an attestation of this category is constrained.
enum class AmountRule : uint8_t {
  kNonNegative = 1,  // 0 <= amount <= the bound of its class
  kSigned = 2,       // net figures that can be a loss (business, property): |amount| <= bound
  kZero = 3,         // status categories: amount == 0
};

// Attestation categories (u16 on the wire).
enum class Category : uint16_t {
  // Counted income (national scheme, research §1.3 / §3).
  kWage = 1,                // wage: net of income tax and the personal insurance/fund share
  kBusiness = 2,            // business: net business income, may be negative
  kProperty = 3,            // property: net property income (interest, rent ...), may be negative
  kPension = 4,             // pension
  kUnemploymentBenefit = 5, // unemployment_benefit
  kSupportReceived = 6,     // support_received: 赡养/抚养费 received
  kOtherTransfer = 7,       // other_transfer: other counted transfer income
  // Deducted.
  kSupportPaid = 20,        // support_paid: 赡养费 paid
  // Excluded income (counted nowhere by law; recorded so the breakdown is complete).
  kDibaoBenefit = 30,           // dibao_benefit: 低保金
  kDisabilitySubsidy = 31,      // disability_subsidy: 两项补贴 (attribute kind=living|nursing)
  kSpecialCare = 32,            // special_care: 优待抚恤金
  kFamilyPlanningAward = 33,    // family_planning_award
  kScholarship = 34,            // scholarship
  kReward = 35,                 // reward: 见义勇为 and other rewards
  kSocialAssistance = 36,       // social_assistance: 临时救助, 采暖救助 and other assistance
  kResidentBasicPension = 37,   // resident_basic_pension: basic part of 城乡居民养老 (2021-2025)
  kHighAgeAllowance = 38,       // high_age_allowance
  kMedicalReimbursement = 39,   // medical_reimbursement
  // Status.
  kDisabilityStatus = 50,   // disability_status: attributes grade=1..4, type=...
  kDeath = 51,              // death: first_month = month of death
  // Assets.
  kDeposits = 60,           // deposits: balance in fen (deposits, securities)
  kVehicle = 61,            // vehicle: assessed value in fen; attributes e.g. purpose=disability
  kRealEstate = 62,         // real_estate: assessed value in fen; attributes e.g. floor_area_m2
};

enum class Programme : uint8_t {
  kDibao = 1,              // dibao               最低生活保障
  kLowIncome = 2,          // low_income          低收入家庭
  kTekun = 3,              // tekun               特困人员供养
  kDisabilityLiving = 4,   // disability_living   困难残疾人生活补贴
  kDisabilityNursing = 5,  // disability_nursing  重度残疾人护理补贴
  kHeating = 6,            // heating             采暖救助
};

struct CategoryInfo {
  Category category;
  std::string_view code;
  CategoryClass klass;
  AmountRule amount_rule;
  Agency issuer;  // who normally issues it (advice, see the contract above)
};

// Every category, in wire-value order.
std::span<const CategoryInfo> AllCategories();
// REQUIRES: `c` is a known category (values from decoders and parsers always are).
const CategoryInfo& InfoOf(Category c);

std::string_view AgencyCode(Agency a);
std::string_view CategoryCode(Category c);
std::string_view ProgrammeCode(Programme p);

// Text code -> value. InvalidArgument naming the unknown code.
Result<Agency> ParseAgency(std::string_view code);
Result<Category> ParseCategory(std::string_view code);
Result<Programme> ParseProgramme(std::string_view code);

// Wire value -> value. InvalidArgument for an unassigned value.
Result<Agency> AgencyFromWire(uint8_t v);
Result<Category> CategoryFromWire(uint16_t v);
Result<Programme> ProgrammeFromWire(uint8_t v);

}  // namespace hearth
