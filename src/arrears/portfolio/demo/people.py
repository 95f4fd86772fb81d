"""Demo debtors (persons, companies, a few English-speaking people abroad) and their consented contacts."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from faker import Faker

from arrears.portfolio.demo import identity
from arrears.portfolio.demo.reference import (
    EMAIL_DOMAINS_CN,
    FOREIGN_ZONES,
    GIVEN_FEMALE,
    GIVEN_MALE,
    HK_DISTRICTS,
    INDUSTRIES,
    OCCUPATIONS,
    PLACES,
    SURNAMES,
    ForeignZone,
    Place,
)

CONSENT_FOR = {"contract": "contract_names", "debtor_provided": "debtor_gave", "debtor_update": "debtor_gave",
               "public_registry": "public_record"}
STATUSES = ("valid", "unverified", "invalid", "wrong_party", "do_not_contact")
SELF_WEIGHTS = (60, 34, 3, 2, 1)
THIRD_WEIGHTS = (38, 50, 6, 4, 2)
COMPANY_SHARE = 0.15
FOREIGN_SHARE = 0.03


@dataclass
class Debtor:
    """A customer as the accounts file describes it, plus what the contacts need."""

    kind: str
    customer_id: str
    name: str
    name_latin: str
    id_type: str
    id_number: str
    occupation: str
    employer: str
    language: str
    timezone: str
    address: str
    region: str
    key_account: bool
    mobile: str
    email: str
    profile: str  # salary | professional | small_business: the loan sub-type that fits the person
    place: Place
    zone: ForeignZone | None = None
    male: bool = True
    surname: str = ""

    @property
    def foreign(self) -> bool:
        """True for the English-speaking debtors living outside the mainland."""
        return self.zone is not None

    def fields(self) -> dict[str, str]:
        """The customer columns of an accounts row."""
        return {
            "customer_id": self.customer_id, "customer_type": self.kind, "customer_name": self.name,
            "name_latin": self.name_latin, "id_type": self.id_type, "id_number": self.id_number,
            "occupation": self.occupation, "employer": self.employer, "language": self.language,
            "timezone": self.timezone, "address": self.address, "region": self.region,
            "key_account": "true" if self.key_account else "false", "mobile": self.mobile,
            "email": self.email,
        }


class PeopleFactory:
    """Draws debtors and contacts from one seeded random source and seeded Faker instances."""

    def __init__(self, rng: random.Random, fakers: dict[str, Faker], as_of: date) -> None:
        self.rng = rng
        self.fake = fakers["zh_CN"]
        self.fakers = fakers
        self.as_of = as_of
        self._place_weights = [p.weight for p in PLACES]
        self._surname_weights = [s[2] for s in SURNAMES]

    # ---------------------------------------------------------------- names, numbers, addresses
    def _place(self) -> Place:
        return self.rng.choices(PLACES, weights=self._place_weights)[0]

    def _cn_name(self, male: bool, surname: tuple[str, str] | None = None) -> tuple[str, str]:
        family, family_py = surname or self.rng.choices(SURNAMES, weights=self._surname_weights)[0][:2]
        pool = GIVEN_MALE if male else GIVEN_FEMALE
        given = self.rng.sample(pool, 2 if self.rng.random() < 0.7 else 1)
        latin = "".join(g[1] for g in given).capitalize()
        return family + "".join(g[0] for g in given), f"{family_py} {latin}"

    def _mobile(self) -> str:
        number = identity.cn_mobile(self.rng)
        return identity.as_e164_cn(number) if self.rng.random() < 0.2 else number

    def _address(self, place: Place, office: bool = False) -> str:
        head = ("" if place.province == place.city else place.province) + place.city + place.district
        street = self.fake.street_name() + f"{self.rng.randint(1, 999)}号"
        if office:
            return head + street + f"{self.fake.last_name()}{self.rng.choice(('大厦', '广场', '中心'))}" \
                + f"{self.rng.randint(2, 32)}层"
        return head + street + f"{self.rng.randint(1, 30)}栋{self.rng.randint(1, 6)}单元" \
            + f"{self.rng.randint(1, 33)}{self.rng.randint(1, 4):02d}室"

    def _cn_email(self, latin: str) -> str:
        if self.rng.random() < 0.35:
            return f"{self.rng.randint(10_000_000, 3_999_999_999)}@qq.com"
        local = latin.lower().replace(" ", self.rng.choice(("", ".", "_")))
        return f"{local}{self.rng.randint(1, 9999)}@{self.rng.choice(EMAIL_DOMAINS_CN)}"

    def _date_between(self, start: date, end: date) -> date:
        if end <= start:
            return end
        return start + timedelta(days=self.rng.randint(0, (end - start).days))

    # ---------------------------------------------------------------- debtors
    def debtor(self, n: int) -> Debtor:
        """The n-th debtor: a company, a person abroad, or (mostly) a person on the mainland."""
        draw = self.rng.random()
        if draw < COMPANY_SHARE:
            return self._company(n)
        if draw < COMPANY_SHARE + FOREIGN_SHARE:
            return self._foreigner(n)
        return self._person(n)

    def _person(self, n: int) -> Debtor:
        male = self.rng.random() < 0.55
        surname = self.rng.choices(SURNAMES, weights=self._surname_weights)[0][:2]
        name, latin = self._cn_name(male, surname)
        place = self._place()
        born = self.as_of - timedelta(days=self.rng.randint(22 * 365, 60 * 365))
        birth_division = place.division if self.rng.random() < 0.7 else self._place().division
        profile = self.rng.choices(("salary", "professional", "small_business"), weights=(50, 25, 25))[0]
        occupation = self.rng.choice(OCCUPATIONS[profile])
        employer = self.fake.company() if profile != "small_business" or self.rng.random() < 0.3 else ""
        return Debtor(
            "person", f"P{n:07d}", name, latin, "resident_id",
            identity.resident_id(self.rng, birth_division, born, male), occupation, employer, "zh-CN",
            "Asia/Shanghai", self._address(place), "CN", False, self._mobile(),
            self._cn_email(latin) if self.rng.random() < 0.45 else "", profile, place, None, male, surname[0],
        )

    def _company(self, n: int) -> Debtor:
        place = self._place()
        industry, words = self.rng.choice(INDUSTRIES)
        brand = self.fake.company_prefix()
        name = brand + self.rng.choice(words) + "有限公司"
        if len(brand) <= 3 and self.rng.random() < 0.7:
            name = place.city.removesuffix("市") + name
        abbr = "".join(self.rng.choice("abcdefghjkmnpqrstwxyz") for _ in range(self.rng.randint(3, 5)))
        return Debtor(
            "company", f"E{n:07d}", name, "", "uscc", identity.uscc(self.rng, place.division),
            industry, "", "zh-CN", "Asia/Shanghai", self._address(place, office=True),
            "CN", self.rng.random() < 0.1, self._mobile(),
            f"finance@{abbr}.com.cn" if self.rng.random() < 0.5 else "", "small_business", place,
        )

    def _foreigner(self, n: int) -> Debtor:
        zone = self.rng.choices(FOREIGN_ZONES, weights=[z.weight for z in FOREIGN_ZONES])[0]
        fake = self.fakers[zone.faker_locale]
        male = self.rng.random() < 0.5
        first = fake.first_name_male() if male else fake.first_name_female()
        last = fake.last_name()
        passport = self.rng.choice("EGKP") + f"{self.rng.randint(10_000_000, 99_999_999)}"
        email = f"{first.lower()}.{last.lower()}{self.rng.randint(1, 99)}@{fake.free_email_domain()}"
        return Debtor(
            "person", f"P{n:07d}", f"{first} {last}", f"{first} {last}", "passport", passport,
            fake.job().split(",")[0][:100], fake.company(), "en", zone.timezone, self._foreign_address(zone),
            zone.region, False, identity.foreign_mobile(self.rng, zone),
            email if self.rng.random() < 0.8 else "", "professional", self._place(), zone, male, last,
        )

    def _foreign_address(self, zone: ForeignZone) -> str:
        fake = self.fakers[zone.faker_locale]
        r = self.rng
        if zone.region == "HK":
            return (f"Flat {r.choice('ABCDEFGH')}, {r.randint(2, 48)}/F, {r.randint(1, 300)} "
                    f"{fake.last_name()} Road, {r.choice(HK_DISTRICTS)}, Hong Kong")
        if zone.region == "SG":
            unit = f"#{r.randint(2, 30):02d}-{r.randint(1, 99):02d}"
            postcode = r.randint(100_000, 829_999)
            return f"{r.randint(1, 500)} {fake.last_name()} Road, {unit}, Singapore {postcode}"
        if zone.region == "GB":
            return f"{fake.street_address()}, London {fake.postcode()}"
        if zone.timezone == "America/Los_Angeles":
            return f"{fake.street_address()}, Los Angeles, CA {r.randint(90001, 90089)}"
        return f"{fake.street_address()}, New York, NY {r.randint(10001, 10282)}"

    # ---------------------------------------------------------------- contacts
    def contacts(self, debtor: Debtor, since: date) -> list[dict[str, str]]:
        """The debtor's consented contact points beyond the accounts file's own mobile, e-mail and address."""
        rows: list[dict[str, str]] = []

        def add(relationship: str, name: str, channel: str, value: str, source: str, third: bool) -> None:
            status = self.rng.choices(STATUSES, weights=THIRD_WEIGHTS if third else SELF_WEIGHTS)[0]
            if source in ("contract", "public_registry"):
                consent_date = since
            elif source == "debtor_update":
                consent_date = self._date_between(max(since, self.as_of - timedelta(days=90)), self.as_of)
            else:
                consent_date = self._date_between(since, self.as_of)
            checked = self._date_between(consent_date, self.as_of)
            verified = "" if status == "unverified" else checked.isoformat()
            rows.append({
                "contact_id": f"{debtor.customer_id}-K{len(rows) + 1:02d}", "customer_id": debtor.customer_id,
                "relationship": relationship, "contact_name": name, "channel": channel, "value": value,
                "source": source, "consent": CONSENT_FOR[source], "consent_date": consent_date.isoformat(),
                "status": status, "last_verified": verified,
            })

        if debtor.kind == "company":
            self._company_contacts(debtor, add)
        elif debtor.foreign:
            self._foreign_contacts(debtor, add)
        else:
            self._person_contacts(debtor, add)
        return rows

    def _person_contacts(self, debtor: Debtor, add) -> None:  # type: ignore[no-untyped-def]
        r = self.rng
        if r.random() < 0.10:
            add("self", "", "phone", self._mobile(), "debtor_update", False)
        if debtor.employer and r.random() < 0.10:
            add("self", "", "email", self._cn_email(self._cn_name(debtor.male)[1]), "debtor_provided", False)
        if r.random() < 0.15:
            add("self", "", "address", self._address(self._place()), "contract", False)
        candidates = ["parent", "relative", "friend", "colleague"]
        if r.random() < 0.7:
            candidates.insert(0, "spouse")
        if debtor.employer:
            candidates.insert(1, "employer")
        count = r.choices((0, 1, 2, 3), weights=(18, 35, 31, 16))[0]
        for relationship in r.sample(candidates, min(count, len(candidates))):
            source = "debtor_provided" if relationship == "colleague" or r.random() < 0.4 else "contract"
            if relationship == "employer":
                add("employer", f"{debtor.employer}人事部", "phone",
                    identity.cn_landline(r, debtor.place.area_code), source, True)
                continue
            own_family = next(s[:2] for s in SURNAMES if s[0] == debtor.surname)
            male, family = r.random() < 0.5, None
            if relationship == "spouse":
                male = not debtor.male
            elif relationship == "parent":
                male = r.random() < 0.6
                family = own_family if male else None  # father shares the surname
            elif relationship == "relative" and r.random() < 0.6:
                family = own_family
            add(relationship, self._cn_name(male, family)[0], "phone", self._mobile(), source, True)

    def _foreign_contacts(self, debtor: Debtor, add) -> None:  # type: ignore[no-untyped-def]
        assert debtor.zone is not None
        fake = self.fakers[debtor.zone.faker_locale]
        count = self.rng.choices((0, 1, 2), weights=(40, 40, 20))[0]
        for relationship in self.rng.sample(["spouse", "friend", "relative"], count):
            add(relationship, fake.name(), "phone", identity.foreign_mobile(self.rng, debtor.zone),
                "contract" if self.rng.random() < 0.6 else "debtor_provided", True)

    def _company_contacts(self, debtor: Debtor, add) -> None:  # type: ignore[no-untyped-def]
        r = self.rng
        roles = ["payables", "finance", "owner"]
        r.shuffle(roles)
        count = r.randint(2, 4)
        for role in roles[: min(count, 3)]:
            name = self._cn_name(r.random() < 0.5)[0]
            landline = role == "finance" and r.random() < 0.5
            value = identity.cn_landline(r, debtor.place.area_code) if landline else self._mobile()
            source = "contract" if role == "owner" or r.random() < 0.5 else "debtor_provided"
            add(role, name, "phone", value, source, False)
        if count == 4:
            add("other_role", "总机", "phone", identity.cn_landline(r, debtor.place.area_code),
                "public_registry", False)
        if r.random() < 0.4:
            add("finance", "财务部", "email", f"cw{r.randint(100, 9999)}@{r.choice(EMAIL_DOMAINS_CN)}",
                "debtor_provided", False)
        if r.random() < 0.3:
            add("other_role", "注册地址", "address", self._address(debtor.place, office=True),
                "public_registry", False)
