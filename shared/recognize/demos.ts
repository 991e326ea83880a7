/**
 * Few-shot demonstrations for the recognition prompt, written for this project in the manner of
 * PGIM's hand-written ones (PGIM data/ManualAnnotation: a space-tokenised tweet with its RT/@/#
 * debris, an image description, and an answer that names every entity with its type and says
 * briefly what it is). They show the conventions of Twitter-GMNER's annotation that models get
 * wrong unprompted: the retweeted account is not an entity, a hashtag that names something is
 * (without the #), posts without names get an empty list, and buildings are places.
 */

export interface DemoEntity {
  text: string;
  gmner: string;
  coarse: string;
  fine: string;
  expansion: string;
}

export interface Demo {
  post: string;
  caption: string;
  entities: DemoEntity[];
}

export const DEMOS: readonly Demo[] = [
  {
    post: 'RT @ NBAonTNT : Kevin Durant drops 40 as # Warriors beat the Rockets in Houston',
    caption: 'A basketball player in a white jersey dunks the ball during a game in a crowded arena.',
    entities: [
      { text: 'Kevin Durant', gmner: 'PER', coarse: 'person', fine: 'athlete', expansion: 'an American basketball player of the Golden State Warriors' },
      { text: 'Warriors', gmner: 'ORG', coarse: 'organization', fine: 'sports_team', expansion: 'the Golden State Warriors, an NBA basketball team' },
      { text: 'Rockets', gmner: 'ORG', coarse: 'organization', fine: 'sports_team', expansion: 'the Houston Rockets, an NBA basketball team' },
      { text: 'Houston', gmner: 'LOC', coarse: 'location', fine: 'city', expansion: 'a city in Texas, United States' },
    ],
  },
  {
    post: 'Sunday mornings are for coffee and a good book',
    caption: 'A cup of coffee next to an open book on a wooden table by a window.',
    entities: [],
  },
  {
    post: "Beyoncé rehearsing for the Super Bowl halftime show at Levi 's Stadium # SB50",
    caption: 'A woman in a black leather outfit performs on a large stage with dancers and bright lights.',
    entities: [
      { text: 'Beyoncé', gmner: 'PER', coarse: 'person', fine: 'musician', expansion: 'an American singer and performer' },
      { text: 'Super Bowl', gmner: 'OTHER', coarse: 'event', fine: 'sports_event', expansion: 'the annual championship game of the NFL' },
      { text: "Levi 's Stadium", gmner: 'LOC', coarse: 'building', fine: 'sports_facility', expansion: 'a football stadium in Santa Clara, California' },
      { text: 'SB50', gmner: 'OTHER', coarse: 'event', fine: 'sports_event', expansion: 'Super Bowl 50, the 2016 NFL championship game' },
    ],
  },
  {
    post: 'Protesters gather outside the White House as Congress votes on the Affordable Care Act repeal',
    caption: 'A crowd holding signs stands in front of a white building with columns behind a fence.',
    entities: [
      { text: 'White House', gmner: 'LOC', coarse: 'building', fine: 'building_other', expansion: 'the official residence of the US president in Washington, D.C.' },
      { text: 'Congress', gmner: 'ORG', coarse: 'organization', fine: 'government_agency', expansion: 'the legislature of the United States' },
      { text: 'Affordable Care Act', gmner: 'OTHER', coarse: 'other', fine: 'ordinance', expansion: 'a United States health care law' },
    ],
  },
];
