/**
 * The bench's NestJS peer: the API's `GET /v1/bucketlists/:id` and list page as a NestJS user
 * writes them by the book — the default Express platform, a guard that verifies the bearer token
 * with @nestjs/jwt, and TypeORM's repository over pg. Reads PEER_CONFIG (a JSON file the bench
 * writes) and PORT; listens on 127.0.0.1.
 */
import 'reflect-metadata';
import { createSecretKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import {
  type CanActivate,
  Controller,
  DefaultValuePipe,
  type ExecutionContext,
  Get,
  Injectable,
  Module,
  NotFoundException,
  Param,
  ParseIntPipe,
  Query,
  Req,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { JwtModule, JwtService } from '@nestjs/jwt';
import { InjectRepository, TypeOrmModule } from '@nestjs/typeorm';
import { Column, Entity, PrimaryColumn, type Repository } from 'typeorm';

interface PeerConfig {
  connectionString: string;
  jwtSecret: string;
  poolSize: number;
}

const { PEER_CONFIG, PORT } = process.env;
if (!PEER_CONFIG || !PORT) throw new Error('PEER_CONFIG and PORT are required');
const config = JSON.parse(readFileSync(PEER_CONFIG, 'utf8')) as PeerConfig;

// Property names as the API's JSON has them, so that the bodies match.
@Entity('bucketlists')
class Bucketlist {
  @PrimaryColumn()
  id: number;

  @Column({ name: 'owner_id', select: false })
  owner_id: number;

  @Column()
  name: string;

  @Column({ type: 'varchar', nullable: true })
  description: string | null;

  @Column()
  item_count: number;

  @Column({ type: 'timestamptz' })
  created_at: Date;

  @Column({ type: 'timestamptz' })
  updated_at: Date;
}

type Authenticated = IncomingMessage & { user: { sub: string } };

/** The guard of NestJS's authentication guide: a valid HS256 bearer token, or 401. */
@Injectable()
class AuthGuard implements CanActivate {
  constructor(private readonly jwt: JwtService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Authenticated>();
    const [type, token] = request.headers.authorization?.split(' ') ?? [];
    if (type?.toLowerCase() !== 'bearer' || !token) throw new UnauthorizedException();
    try {
      request.user = await this.jwt.verifyAsync(token);
    } catch {
      throw new UnauthorizedException();
    }
    return true;
  }
}

@Controller('healthz')
class HealthController {
  @Get()
  health() {
    return { status: 'ok' };
  }
}

@Controller('v1/bucketlists')
@UseGuards(AuthGuard)
class BucketlistsController {
  constructor(@InjectRepository(Bucketlist) private readonly bucketlists: Repository<Bucketlist>) {}

  @Get(':id')
  async findOne(@Param('id', ParseIntPipe) id: number, @Req() request: Authenticated) {
    const row = await this.bucketlists.findOneBy({ id, owner_id: Number(request.user.sub) });
    if (!row) throw new NotFoundException();
    return row;
  }

  @Get()
  async list(
    @Req() request: Authenticated,
    @Query('page', new DefaultValuePipe(1), ParseIntPipe) page: number,
    @Query('page_size', new DefaultValuePipe(20), ParseIntPipe) pageSize: number,
  ) {
    const [items, total] = await this.bucketlists.findAndCount({
      where: { owner_id: Number(request.user.sub) },
      order: { id: 'DESC' },
      take: pageSize,
      skip: (page - 1) * pageSize,
    });
    return { items, page, page_size: pageSize, total };
  }
}

@Module({
  imports: [
    TypeOrmModule.forRoot({
      type: 'postgres',
      url: config.connectionString,
      entities: [Bucketlist],
      extra: { max: config.poolSize },
    }),
    TypeOrmModule.forFeature([Bucketlist]),
    JwtModule.register({
      // A KeyObject: given a string, jsonwebtoken tries to parse it as a public key on every verify.
      secret: createSecretKey(Buffer.from(config.jwtSecret)),
      verifyOptions: { algorithms: ['HS256'] },
    }),
  ],
  controllers: [HealthController, BucketlistsController],
  providers: [AuthGuard],
})
class AppModule {}

const app = await NestFactory.create(AppModule);
app.enableShutdownHooks();
await app.listen(Number(PORT), '127.0.0.1');
