/**
 * The two label sets the recognizer answers in, with the one-line definitions the prompt shows the
 * model. Names are spelled exactly as the datasets spell them (Twitter-GMNER v2.0: upper-case
 * coarse types; Twitter-FMNERG: lower-case coarse and snake_case fine types, the `coarse_fine_tree` of
 * `data_utils.py` in https://github.com/NUSTM/FMNERG), so
 * predictions can be scored against the gold files without a translation table.
 */
import type { LabelSet } from '../pipeline/contracts';

export interface TypeDef {
  name: string;
  definition: string;
}

export const GMNER_TYPES: readonly TypeDef[] = [
  { name: 'PER', definition: 'a person, real or fictional, named by name, nickname or stage name (athletes, politicians, musicians, characters)' },
  { name: 'LOC', definition: 'a named place: city, country, state, region, continent, park, road, and buildings or venues (stadiums, arenas, museums, restaurants)' },
  { name: 'ORG', definition: 'a named organization: company, sports team or league, band, school or university, government body, party, media organization' },
  { name: 'OTHER', definition: 'any other named thing: events and festivals, awards, products and brands of products, films, shows, songs, books, games, websites and apps, named animals, laws' },
];

/** FMNERG coarse type -> its fine types with definitions (NUSTM/FMNERG `coarse_fine_tree`). */
export const FMNERG_TREE: Readonly<Record<string, { definition: string; fine: readonly TypeDef[] }>> = {
  person: {
    definition: 'a named person, real or fictional',
    fine: [
      { name: 'politician', definition: 'holds or seeks political office' },
      { name: 'musician', definition: 'singer, rapper, DJ, instrumentalist' },
      { name: 'actor', definition: 'film, television or stage actor or actress' },
      { name: 'artist', definition: 'visual artist, photographer, designer, model, entertainer not covered elsewhere' },
      { name: 'athlete', definition: 'sportsperson or player' },
      { name: 'author', definition: 'writer of books or other texts' },
      { name: 'businessman', definition: 'business person, executive, entrepreneur' },
      { name: 'character', definition: 'fictional character' },
      { name: 'coach', definition: 'sports coach or manager' },
      { name: 'director', definition: 'film or television director or producer' },
      { name: 'intellectual', definition: 'scientist, scholar, religious leader, thinker' },
      { name: 'journalist', definition: 'reporter, presenter, host, commentator' },
      { name: 'person_other', definition: 'any other person' },
    ],
  },
  organization: {
    definition: 'a named organization',
    fine: [
      { name: 'company', definition: 'business or brand owner' },
      { name: 'educational_institution', definition: 'school, college, university' },
      { name: 'band', definition: 'music group' },
      { name: 'government_agency', definition: 'government body, ministry, legislature, police, military' },
      { name: 'news_agency', definition: 'newspaper, broadcaster, news site as an organization' },
      { name: 'organization_other', definition: 'any other organization' },
      { name: 'political_party', definition: 'political party' },
      { name: 'social_organization', definition: 'charity, club, association, union, religious organization' },
      { name: 'sports_league', definition: 'sports league or governing body' },
      { name: 'sports_team', definition: 'sports team or club' },
    ],
  },
  location: {
    definition: 'a named geographical place',
    fine: [
      { name: 'city', definition: 'city, town or village' },
      { name: 'country', definition: 'country or nation' },
      { name: 'state', definition: 'state, province or county' },
      { name: 'continent', definition: 'continent' },
      { name: 'location_other', definition: 'region, neighbourhood, island, mountain, river or other place' },
      { name: 'park', definition: 'park, garden or reserve' },
      { name: 'road', definition: 'road, street, square or bridge' },
    ],
  },
  building: {
    definition: 'a named building or facility',
    fine: [
      { name: 'building_other', definition: 'any other building: hall, tower, palace, airport, station' },
      { name: 'cultural_place', definition: 'museum, gallery, theatre, library, church' },
      { name: 'entertainment_place', definition: 'restaurant, bar, hotel, club, shop, mall, concert venue' },
      { name: 'sports_facility', definition: 'stadium, arena, court, track' },
    ],
  },
  event: {
    definition: 'a named event',
    fine: [
      { name: 'event_other', definition: 'any other event: conference, election, campaign, war' },
      { name: 'festival', definition: 'festival, holiday, award show, parade, concert tour' },
      { name: 'sports_event', definition: 'match, tournament, championship, race, season' },
    ],
  },
  art: {
    definition: 'a named creative work',
    fine: [
      { name: 'art_other', definition: 'painting, sculpture or any other work' },
      { name: 'film_and_television_works', definition: 'film, television show or series' },
      { name: 'magazine', definition: 'magazine or newspaper as a publication' },
      { name: 'music', definition: 'song or album' },
      { name: 'written_work', definition: 'book, poem, article' },
    ],
  },
  product: {
    definition: 'a named product',
    fine: [
      { name: 'brand_name_products', definition: 'branded consumer product: phone, car, shoe, drink' },
      { name: 'game', definition: 'video game or board game' },
      { name: 'product_other', definition: 'any other product' },
      { name: 'software', definition: 'software or app' },
    ],
  },
  other: {
    definition: 'any other named thing',
    fine: [
      { name: 'animal', definition: 'a named animal or species' },
      { name: 'award', definition: 'prize, trophy, honour' },
      { name: 'medical_thing', definition: 'disease, drug, medical procedure' },
      { name: 'website', definition: 'website, online platform or social network' },
      { name: 'ordinance', definition: 'law, act, treaty, regulation' },
    ],
  },
};

export const FMNERG_COARSE: readonly string[] = Object.keys(FMNERG_TREE);

/** fine -> coarse, for checking consistency and for deriving the coarse type from a fine one. */
export const FMNERG_FINE_TO_COARSE: ReadonlyMap<string, string> = new Map(
  Object.entries(FMNERG_TREE).flatMap(([coarse, { fine }]) => fine.map((f) => [f.name, coarse] as const)),
);

export const FMNERG_FINE: readonly string[] = [...FMNERG_FINE_TO_COARSE.keys()];

/**
 * GMNER's four types seen through the FMNERG tree: the two datasets share every span, and GMNER
 * annotates buildings and venues as LOC and events, works and products as OTHER (test split counts: GMNER
 * LOC 404 = FMNERG location 327 + building 77).
 */
export const FMNERG_COARSE_TO_GMNER: Readonly<Record<string, string>> = {
  person: 'PER',
  organization: 'ORG',
  location: 'LOC',
  building: 'LOC',
  event: 'OTHER',
  art: 'OTHER',
  product: 'OTHER',
  other: 'OTHER',
};

export function coarseTypes(labels: LabelSet): readonly string[] {
  return labels === 'gmner' ? GMNER_TYPES.map((t) => t.name) : FMNERG_COARSE;
}
